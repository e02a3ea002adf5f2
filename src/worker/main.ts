#!/usr/bin/env node
/**
 * The kvssink worker: one per pipeline process, serving every kvssink element in it.
 * The element side (native/gst/gstkvsworker.c) starts it with a SOCK_SEQPACKET control
 * socket on fd 3 (KVSSINK_CONTROL_FD). Each message there attaches one stream: the
 * element's config as JSON, and its ring's memfd and wake-up sockets as SCM_RIGHTS fds.
 * Each stream runs on its own until EOS, a fatal error or its element going away; one
 * stream's failure or slowness never holds up another. The worker exits when the
 * control socket closes (the last element stopped, or the pipeline process died) and
 * no stream is left.
 */
import { parseConfigRecord, SettingsError } from '../config/config.js';
import { nativeBinding, Ring, RingRole } from '../ring/ring.js';
import { KvsStream } from '../stream/stream.js';
import { Reporter, type LogLevelName } from './report.js';
import type { LogLevel as AwsLogLevel } from '../aws/errors.js';

/** After the control socket closed: how long streams still closing get. */
const EXIT_GRACE_MS = 250;
/** After a stream closed: how long to wait for its element to close the ring. */
const DETACH_WAIT_MS = 5000;

const AWS_TO_GST: Record<AwsLogLevel, LogLevelName> = {
  error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'trace',
};

function controlFd(): number {
  const fd = Number(process.env.KVSSINK_CONTROL_FD ?? 3);
  if (!Number.isInteger(fd) || fd < 0) throw new Error(`KVSSINK_CONTROL_FD must be an fd, got ${process.env.KVSSINK_CONTROL_FD}`);
  return fd;
}

const streams = new Set<Promise<void>>();
/** The process's CPU when its first stream attached: the worker's start-up cost. */
let startupCpu: NodeJS.CpuUsage | undefined;
let controlOpen = true;

function exitWhenIdle(): void {
  if (!controlOpen && streams.size === 0) process.exit(0);
}

/** Runs one attached stream to its end, then waits for its element to let go of the ring. */
async function serve(ring: Ring, configText: string): Promise<void> {
  const report = new Reporter(ring);
  const log = (level: AwsLogLevel, message: string): void => report.log(AWS_TO_GST[level], message);
  let settings;
  try {
    settings = parseConfigRecord(configText);
  } catch (err) {
    const message = err instanceof SettingsError ? err.message : `Invalid kvssink configuration: ${(err as Error).message}`;
    report.error({ code: 'INVALID_SETTINGS', message, domain: 'resource', gstCode: 'settings' }, true);
    await waitForDetach(ring);
    return;
  }
  report.ready({ version: 2, pid: process.pid, node: process.version });
  const restarts = (JSON.parse(configText) as { restarts?: number }).restarts ?? 0;
  log('info', `worker ${process.pid} (node ${process.version}) serves stream "${settings.streamName}"` +
    (restarts > 0 ? ` again after ${restarts} worker restart(s): resuming from the first unpersisted fragment` : ''));

  const stream = new KvsStream(ring, report, settings, log);
  const cpuStart = process.cpuUsage();
  let outcome: Awaited<ReturnType<KvsStream['run']>>;
  try {
    outcome = await stream.run();
  } catch (err) {
    report.error({ code: 'INTERNAL', message: `Internal error in the kvssink worker: ${(err as Error).message}`,
      debug: (err as Error).stack, domain: 'core', gstCode: 'failed' }, true);
    outcome = 'failed';
  }
  const s = stream.summary;
  if (outcome === 'closed') {
    const cpu = process.cpuUsage(cpuStart);
    const total = process.cpuUsage();
    report.closed({
      'stream-name': settings.streamName, frames: s.frames, fragments: s.fragments, bytes: s.bytes, acks: s.acks,
      persisted: s.persisted, 'error-acks': s.errors, 'dropped-frames': s.droppedFrames,
      'frames-dropped-by-pressure': s.framesDroppedByPressure, 'fragments-dropped-by-pressure': s.fragmentsDroppedByPressure,
      'frames-lost-to-rejections': s.framesLostToRejections, 'frames-lost-at-stop': s.framesLostAtStop,
      sessions: s.sessions,
      unacknowledged: s.unacknowledged,
      'latency-p50-ms': stream.latency.quantile(0.5), 'latency-p99-ms': stream.latency.quantile(0.99),
      'latency-samples': stream.latency.count,
      // The worker process's CPU so far, start-up included (shared by the streams it serves),
      // and what it took before it could serve its first stream.
      'worker-cpu-ms': Math.round((total.user + total.system) / 1000),
      'worker-startup-cpu-ms': startupCpu ? Math.round((startupCpu.user + startupCpu.system) / 1000) : undefined,
      'stream-cpu-ms': Math.round((cpu.user + cpu.system) / 1000),
      'worker-max-rss-kb': process.resourceUsage().maxRSS,
      'worker-streams': streams.size,
    });
  }
  log('info', `stream "${settings.streamName}" done: ${outcome}; ${s.frames} frames, ${s.fragments} fragments, ${s.acks} acks`);
  stream.close();
  if (outcome !== 'element-gone') await waitForDetach(ring);
}

/** Stays until the element closes its end: it drains our last records first. */
async function waitForDetach(ring: Ring): Promise<void> {
  const deadline = Date.now() + DETACH_WAIT_MS;
  while (Date.now() < deadline && (await ring.waitReadable(deadline - Date.now())) !== 'hangup') {
    while (ring.read()) { /* nothing more to do with late records */ }
  }
  ring.close();
}

function attach(data: Buffer, fds: number[]): void {
  startupCpu ??= process.cpuUsage();
  const binding = nativeBinding();
  if (fds.length !== 3) {
    for (const fd of fds) binding.closeFd(fd);
    process.stderr.write(`kvssink worker: an attach message carried ${fds.length} fds, not 3\n`);
    return;
  }
  let ring: Ring;
  try {
    ring = Ring.attach({ memfd: fds[0]!, forward: fds[1]!, back: fds[2]! }, RingRole.Worker);
  } catch (err) {
    for (const fd of fds) binding.closeFd(fd);
    process.stderr.write(`kvssink worker: ${(err as Error).message}\n`);
    return;
  }
  const served = serve(ring, data.toString('utf8')).catch((err: unknown) => {
    process.stderr.write(`kvssink worker: ${(err as Error).stack ?? String(err)}\n`);
    ring.close();
  });
  streams.add(served);
  void served.finally(() => {
    streams.delete(served);
    exitWhenIdle();
  });
}

function main(): void {
  // The element owns shutdown: SIGINT from a terminal must not kill an upload in flight.
  process.on('SIGINT', () => undefined);
  // If the pipeline process dies outright (SIGKILL, crash), its buffers are gone with it:
  // nothing is left to upload, so don't linger retrying.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(3);
  }, 1000).unref();

  const binding = nativeBinding();
  const fd = controlFd();
  const watcher = new binding.FdWatcher(fd, () => {
    for (;;) {
      const msg = binding.recvControl(fd);
      if (msg === null) return;
      if (msg === false) {
        // Every element is gone (or the pipeline process died): what is left cannot be
        // delivered to anyone, so a stream stuck on a dead network must not keep us alive.
        controlOpen = false;
        watcher.close();
        exitWhenIdle();
        setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
        return;
      }
      attach(msg.data, msg.fds);
    }
  });
}

main();
