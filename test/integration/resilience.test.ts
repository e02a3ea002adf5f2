/**
 * Bad networks and dead processes, with real pipelines: the element reports a cause and a
 * fix, never hangs, and loses nothing it could have kept.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, h264TestSource, launch, tempDir, TEST_ACCESS_KEY, TEST_SECRET_KEY } from './gst.js';

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('resilience-data'), activationDelayMs: 0 });
});

afterAll(async () => {
  await kvs?.close();
});

function sink(streamName: string, extra = ''): string {
  return `kvssink stream-name=${streamName} access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY} ${extra}`;
}

/** Frames stored per distinct fragment timecode: a replayed fragment may be stored twice. */
function framesByTimecode(stream: string): Map<number, number> {
  const byTc = new Map<number, number>();
  for (const f of kvs.getFragments(stream)) byTc.set(f.fragmentTimecode, Math.max(byTc.get(f.fragmentTimecode) ?? 0, f.frameCount));
  return byTc;
}

function workerOf(pid: number): number | undefined {
  for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
    // The worker script: the bundle (dist/bundle/kvssink-worker.mjs) or the tsc output (dist/worker/main.js).
    if (child && /kvssink-worker\.mjs|worker\/main\.js/.test(readFileSync(`/proc/${child}/cmdline`, 'utf8'))) return Number(child);
  }
  return undefined;
}

describe('resilience', () => {
  it('reconnects after the connection drops mid-stream and replays, so every frame arrives', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'drop-replay', afterFragments: 3 });
    const { done } = launch(`${h264TestSource(300)} ! ${sink('drop-replay')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    const result = await done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: .*Retrying in/);
    const sessions = readdirSync(`${kvs.dataDir}/streams/drop-replay/sessions`).filter((n) => n.endsWith('.mkv'));
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    const byTc = framesByTimecode('drop-replay');
    expect(byTc.size).toBe(10);
    expect([...byTc.values()].reduce((a, b) => a + b, 0)).toBe(300);
  });

  it('reports a dead worker as an error naming it, and the pipeline stops instead of hanging', async () => {
    const live = h264TestSource(3000).replace('videotestsrc', 'videotestsrc is-live=true');
    const { pid, done } = launch(`${live} ! ${sink('dead-worker')}`, gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    await kvs.waitForFragments('dead-worker', 2, 30_000);
    const worker = workerOf(pid);
    expect(worker).toBeDefined();
    process.kill(worker!, 'SIGKILL');
    const result = await done;
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/kvssink worker process stopped unexpectedly \(killed by signal 9\)/);
  });

  it('drops and reports frames when the buffer is full in realtime mode, and still finishes', async () => {
    kvs.faults.add({ kind: 'slow-read', api: 'PutMedia', stream: 'slow-uplink', bytesPerSecond: 20_000, times: 0 });
    const { done } = launch(`${h264TestSource(150)} ! ${sink('slow-uplink', 'storage-size=1 stop-stream-timeout=2')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    const result = await done;
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: The stream buffer is full: dropping frames/);
    expect(result.stdout).toMatch(/raise "storage-size"/);
  });

  it('still ends at EOS when PutMedia never answers, after stop-stream-timeout, with a warning', async () => {
    kvs.faults.add({ kind: 'black-hole', api: 'PutMedia', stream: 'black-hole', times: 0 });
    const { done } = launch(`${h264TestSource(600)} ! ${sink('black-hole', 'stop-stream-timeout=1')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    const result = await done;
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Got EOS from element');
    // Either the worker gives up waiting for ACKs, or (worker stuck) the element does.
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: .*(not acknowledged|did not finish uploading) within stop-stream-timeout/);
  });
});
