/**
 * The process model, with real pipelines: one worker serves every kvssink element of a
 * process, and a worker killed mid-stream is restarted without losing a frame.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { exportStream } from '../../src/local/summary.js';
import { ffprobeFrameCount, ffprobePacketTimesMs, gstEnv, kvsSink, launch, tempDir, workerPids } from './gst.js';

let kvs: LocalKvs;
const outDir = tempDir('worker-out');

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('worker-data'), fsync: false });
});

afterAll(async () => {
  await kvs?.close();
});

const sink = kvsSink;

function source(frames: number, { live = false, size = '320x240' } = {}): string {
  const [width, height] = size.split('x');
  return `videotestsrc ${live ? 'is-live=true ' : ''}num-buffers=${frames} ! ` +
    `video/x-raw,width=${width},height=${height},framerate=30/1 ! ` +
    'x264enc bframes=0 key-int-max=30 speed-preset=ultrafast tune=zerolatency ! ' +
    'video/x-h264,stream-format=avc,alignment=au,profile=baseline';
}

/** Distinct frame times over every stored fragment: a replayed fragment may be stored twice. */
async function distinctFrameTimes(stream: string): Promise<{ distinct: number; stored: number }> {
  const times = new Set<number>();
  let stored = 0;
  for (const f of kvs.getFragments(stream)) {
    const packets = await ffprobePacketTimesMs(f.file);
    stored += packets.length;
    for (const t of packets) times.add(t);
  }
  return { distinct: times.size, stored };
}

/** Samples the worker processes of a running pipeline until it ends. */
function watchWorkers(pid: number, done: Promise<unknown>): { seen: Set<number>; maxAtOnce: () => number } {
  const seen = new Set<number>();
  let max = 0;
  const timer = setInterval(() => {
    const now = workerPids(pid);
    for (const w of now) seen.add(w);
    max = Math.max(max, now.length);
  }, 50);
  void done.finally(() => clearInterval(timer));
  return { seen, maxAtOnce: () => max };
}

describe('one worker per process', () => {
  it('serves 16 kvssink elements in one gst-launch with one worker, and every stream arrives whole', async () => {
    const frames = 90;
    const branches = Array.from({ length: 16 }, (_, i) => `${source(frames)} ! ${sink(`many-${i}`)}`).join(' ');
    const { pid, done } = launch(branches, gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 120_000);
    const workers = watchWorkers(pid, done);
    const result = await done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(workers.maxAtOnce()).toBe(1);
    expect(workers.seen.size).toBe(1);
    for (let i = 0; i < 16; i++) {
      const file = join(outDir, `many-${i}.mkv`);
      await exportStream(kvs.dataDir, `many-${i}`, file);
      expect(await ffprobeFrameCount(file), `stream many-${i}`).toBe(frames);
    }
  });
});

describe('a worker that dies', () => {
  it('is restarted at once when killed mid-stream: exit 0, a warning names the restart, all 600 frames once', async () => {
    const { pid, done } = launch(`${source(600, { live: true })} ! ${sink('killed-once')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    const workers = watchWorkers(pid, done);
    await kvs.waitForFragments('killed-once', 5, 30_000);
    const [worker] = workerPids(pid);
    expect(worker).toBeDefined();
    process.kill(worker!, 'SIGKILL');
    const result = await done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: The kvssink worker process stopped unexpectedly \(killed by signal 9\) and was restarted/);
    expect(workers.seen.size).toBe(2);
    const { distinct, stored } = await distinctFrameTimes('killed-once');
    expect(distinct).toBe(600);
    expect(stored).toBeGreaterThanOrEqual(600);
    expect(kvs.metrics('killed-once').ErrorAcks).toEqual({});
  });

  it('keeps an offline pipeline waiting (not failing) while it restarts, and nothing is lost', async () => {
    // A slow uplink and the smallest store (10 MiB) under 20 Mbit/s of noise: the pipeline is
    // blocked on a full ring when the worker dies.
    kvs.faults.add({ kind: 'slow-read', api: 'PutMedia', stream: 'killed-offline', bytesPerSecond: 2_000_000, times: 0 });
    const noisy = source(300, { size: '640x360' }).replace('videotestsrc ', 'videotestsrc pattern=snow ').replace('x264enc ', 'x264enc bitrate=20000 ');
    const { pid, done } = launch(`${noisy} ! ${sink('killed-offline', 'streaming-type=offline storage-size=10')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    await kvs.waitForFragments('killed-offline', 2, 30_000);
    const [worker] = workerPids(pid);
    expect(worker).toBeDefined();
    process.kill(worker!, 'SIGKILL');
    const result = await done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/worker process stopped unexpectedly \(killed by signal 9\) and was restarted/);
    expect(result.stdout).not.toMatch(/dropping frames/);
    expect((await distinctFrameTimes('killed-offline')).distinct).toBe(300);
  });

  it('ends in a clear error, without hanging, when it keeps dying', async () => {
    const { pid, done } = launch(`${source(3000, { live: true })} ! ${sink('killed-always')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    let finished = false;
    void done.finally(() => (finished = true));
    await kvs.waitForFragments('killed-always', 1, 30_000);
    const killed = new Set<number>();
    while (!finished) {
      for (const w of workerPids(pid)) {
        if (killed.has(w)) continue;
        killed.add(w);
        process.kill(w, 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await done;
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/The kvssink worker process keeps stopping \(killed by signal 9; 5 restarts within 60 s\)/);
    expect(killed.size).toBe(5);
  });
});
