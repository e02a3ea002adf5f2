/**
 * Bad networks and dead processes, with real pipelines: the element reports a cause and a
 * fix, never hangs, and loses nothing it could have kept.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, gstLaunch, h264TestSource, kvsSink, launch, tempDir } from './gst.js';

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('resilience-data'), activationDelayMs: 0 });
});

afterAll(async () => {
  await kvs?.close();
});

const sink = kvsSink;

/** Frames stored per distinct fragment timecode: a replayed fragment may be stored twice. */
function framesByTimecode(stream: string): Map<number, number> {
  const byTc = new Map<number, number>();
  for (const f of kvs.getFragments(stream)) byTc.set(f.fragmentTimecode, Math.max(byTc.get(f.fragmentTimecode) ?? 0, f.frameCount));
  return byTc;
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

  it('drops the oldest fragments and reports them when the buffer is full in realtime mode, and still finishes', async () => {
    kvs.faults.add({ kind: 'slow-read', api: 'PutMedia', stream: 'slow-uplink', bytesPerSecond: 20_000, times: 0 });
    // Noise at 20 Mbit/s: 5 s of it overflow the smallest store the guide allows (10 MiB).
    const noisy = h264TestSource(150).replace('videotestsrc ', 'videotestsrc pattern=snow ').replace('x264enc ', 'x264enc bitrate=20000 speed-preset=ultrafast ');
    const { done } = launch(`${noisy} ! ${sink('slow-uplink', 'storage-size=10 stop-stream-timeout=2')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    const result = await done;
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The oldest whole fragments go first, with a warning that names the cause and the fix.
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: KVS is not keeping up and the stream buffer \(storage-size=10 MB\) is 75% full: the oldest \d+ frame\(s\) \(\d+ whole fragment\(s\)\) were dropped/);
    expect(result.stdout).toMatch(/raise storage-size/);
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

  it('reports every rejected fragment on the bus, with the frames lost, and counts them in the summary', async () => {
    kvs.faults.add({ kind: 'error-ack', api: 'PutMedia', stream: 'rejected', fragment: 3, errorId: 4002, times: 1 });
    const source = 'videotestsrc num-buffers=300 ! video/x-raw,width=320,height=240,framerate=30/1 ! ' +
      'x264enc bframes=0 key-int-max=30 speed-preset=ultrafast ! video/x-h264,stream-format=avc,alignment=au';
    const result = await gstLaunch(`-m ${source} ! ${sink('rejected')}`, gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const rejected = /kvs-fragment-rejected, fragment-timecode=\(guint64\)(\d+), error-id=\(guint64\)4002, error-code=\(string\)MAX_FRAGMENT_DURATION_REACHED, frames-lost=\(guint64\)(\d+)/.exec(result.stdout);
    expect(rejected, result.stdout).not.toBeNull();
    const lost = Number(rejected![2]);
    expect(lost).toBe(30);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: KVS rejected the fragment at timecode \d+ \(ERROR 4002 MAX_FRAGMENT_DURATION_REACHED\).*Its 30 frame\(s\) are lost/);
    expect(result.stdout).toMatch(/kvs-stream-closed, .*frames-lost-to-rejections=\(guint64\)30/);
    const stored = new Set(kvs.getFragments('rejected').map((f) => f.fragmentTimecode));
    expect(stored.has(Number(rejected![1]))).toBe(false);
    expect([...framesByTimecode('rejected').values()].reduce((a, b) => a + b, 0)).toBe(300 - lost);
  });

  it('stops with an error when fragments keep being rejected', async () => {
    kvs.faults.add({ kind: 'error-ack', api: 'PutMedia', stream: 'always-rejected', fragment: 1, errorId: 4002, times: 0 });
    const result = await gstLaunch(`${h264TestSource(600)} ! ${sink('always-rejected')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/ERROR: from element .*kvssink0: KVS rejected the fragment at timecode \d+ \(ERROR 4002 MAX_FRAGMENT_DURATION_REACHED\).*3 rejections in a row: the stream stops/);
  });

  it('recovers from a 401 (expired token) on a later PutMedia with static credentials, losing nothing', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'expired-once', afterFragments: 3 });
    kvs.faults.add({ kind: 'not-authorized', api: 'PutMedia', stream: 'expired-once', call: 2 });
    const result = await gstLaunch(`${h264TestSource(300)} ! ${sink('expired-once')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Dropped, then refused (401), then accepted: three PutMedia requests.
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: .*Retrying in/);
    expect(kvs.metrics('expired-once')['PutMedia.Requests']).toBeGreaterThanOrEqual(3);
    expect([...framesByTimecode('expired-once').values()].reduce((a, b) => a + b, 0)).toBe(300);
  });

  it('starts a new connection when no ACK comes for connection-staleness, and nothing is lost', async () => {
    kvs.faults.add({ kind: 'withhold-acks', api: 'PutMedia', stream: 'stale', ms: 20_000, times: 1 });
    const live = h264TestSource(300).replace('videotestsrc', 'videotestsrc is-live=true');
    const result = await gstLaunch(`${live} ! ${sink('stale', 'connection-staleness=4')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: No acknowledgement from KVS for \d+\.\d s \(connection-staleness 4 s\): reconnecting/);
    expect(kvs.metrics('stale')['PutMedia.Requests']).toBeGreaterThanOrEqual(2);
    expect([...framesByTimecode('stale').values()].reduce((a, b) => a + b, 0)).toBe(300);
  });
});
