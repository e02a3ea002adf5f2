#!/usr/bin/env node
/**
 * The kvssink worker: started by the element (native/gst) with the ring on fds 3, 4, 5
 * (KVSSINK_RING_FDS). Reads the config record, answers READY (or a settings error), then
 * runs the stream until EOS, a fatal error, or the element going away.
 */
import { parseConfigRecord, SettingsError } from '../config/config.js';
import { RecordType, Ring, RingRole } from '../ring/ring.js';
import { KvsStream } from '../stream/stream.js';
import { Reporter, type LogLevelName } from './report.js';
import type { LogLevel as AwsLogLevel } from '../aws/errors.js';

const CONFIG_TIMEOUT_MS = 10_000;

function ringFds(): { memfd: number; forward: number; back: number } {
  const parts = (process.env.KVSSINK_RING_FDS ?? '3,4,5').split(',').map(Number);
  const [memfd, forward, back] = parts;
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`KVSSINK_RING_FDS must be three fds, got ${process.env.KVSSINK_RING_FDS}`);
  }
  return { memfd: memfd!, forward: forward!, back: back! };
}

async function readConfig(ring: Ring): Promise<string> {
  const deadline = Date.now() + CONFIG_TIMEOUT_MS;
  for (;;) {
    const rec = ring.read();
    if (rec) {
      if (rec.type !== RecordType.CONFIG) throw new Error(`first record is type ${rec.type}, not CONFIG`);
      return new TextDecoder().decode(rec.payload);
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('no config record from the element');
    const woke = await ring.waitReadable(left);
    if (woke === 'hangup' && !ring.positions().writtenForward) throw new Error('the element went away');
  }
}

const AWS_TO_GST: Record<AwsLogLevel, LogLevelName> = {
  error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'trace',
};

async function main(): Promise<number> {
  // The element owns shutdown: SIGINT from a terminal must not kill an upload in flight.
  process.on('SIGINT', () => undefined);
  // If the pipeline process dies outright (SIGKILL, crash), its buffers are gone with it:
  // nothing is left to upload, so don't linger retrying.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(3);
  }, 1000).unref();
  const ring = Ring.attach(ringFds(), RingRole.Worker);
  const report = new Reporter(ring);
  const log = (level: AwsLogLevel, message: string): void => report.log(AWS_TO_GST[level], message);
  process.on('warning', (w) => log('debug', `node: ${w.name}: ${w.message}`));

  let settings;
  try {
    settings = parseConfigRecord(await readConfig(ring));
  } catch (err) {
    const message = err instanceof SettingsError ? err.message : `Invalid kvssink configuration: ${(err as Error).message}`;
    report.error({ code: 'INVALID_SETTINGS', message, domain: 'resource', gstCode: 'settings' }, true);
    ring.close();
    return 1;
  }
  report.ready({ version: 1, pid: process.pid, node: process.version });
  log('info', `worker ${process.pid} ready (node ${process.version}) for stream "${settings.streamName}"`);

  const stream = new KvsStream(ring, report, settings, log);
  let outcome: Awaited<ReturnType<KvsStream['run']>>;
  try {
    outcome = await stream.run();
  } catch (err) {
    report.error({ code: 'INTERNAL', message: `Internal error in the kvssink worker: ${(err as Error).message}`,
      debug: (err as Error).stack, domain: 'core', gstCode: 'failed' }, true);
    outcome = 'failed';
  }
  const s = stream.summary;
  const usage = process.resourceUsage();
  if (outcome === 'closed') {
    report.closed({
      'stream-name': settings.streamName, frames: s.frames, fragments: s.fragments, bytes: s.bytes, acks: s.acks,
      persisted: s.persisted, 'error-acks': s.errors, 'dropped-frames': s.droppedFrames, sessions: s.sessions,
      unacknowledged: s.unacknowledged,
      'latency-p50-ms': stream.latency.quantile(0.5), 'latency-p99-ms': stream.latency.quantile(0.99),
      'latency-samples': stream.latency.count,
      'worker-cpu-ms': Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
      'worker-max-rss-kb': usage.maxRSS,
    });
  }
  log('info', `worker exiting: ${outcome}; ${s.frames} frames, ${s.fragments} fragments, ${s.acks} acks`);
  stream.close();
  // Stay until the element closes the ring: it drains our last records first.
  if (outcome !== 'element-gone') {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await ring.waitReadable(deadline - Date.now())) !== 'hangup') {
      while (ring.read()) { /* nothing more to do with late records */ }
    }
  }
  ring.close();
  return outcome === 'failed' ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`kvssink worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
});
