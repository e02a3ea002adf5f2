/**
 * Long-lived streams on bad networks (issue 9), with real pipelines into the local endpoint:
 * sessions rotate without a gap, a full store drops the oldest whole fragments and says so,
 * and outages and dropped connections lose nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { ffprobePacketCount, gstEnv, gstLaunch, h264TestSource, kvsSink, tempDir } from './gst.js';

let kvs: LocalKvs;
const calls: Array<{ api: string; stream: string }> = [];

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('network-data'), activationDelayMs: 0,
    log: (entry) => {
      if (entry.event === 'api-call') calls.push({ api: String(entry.api), stream: String(entry.stream) });
    } });
});

afterAll(async () => {
  await kvs?.close();
});

/** Live 320x240 H.264, a key frame every second; cheap to encode, so it stays live on a loaded machine. */
function liveSource(frames: number): string {
  return `videotestsrc is-live=true num-buffers=${frames} ! video/x-raw,width=320,height=240,framerate=30/1 ! ` +
    'x264enc bframes=0 key-int-max=30 speed-preset=ultrafast ! video/x-h264,stream-format=avc,alignment=au,profile=baseline';
}

/** About 100 KB/s of live H.264 that does not compress away (noise), a key frame every second. */
function busyLiveSource(frames: number, bitrateKbps = 800, keyIntMax = 30): string {
  return `videotestsrc is-live=true pattern=snow num-buffers=${frames} ! video/x-raw,width=320,height=240,framerate=30/1 ! ` +
    `x264enc bframes=0 key-int-max=${keyIntMax} speed-preset=ultrafast bitrate=${bitrateKbps} ! video/x-h264,stream-format=avc,alignment=au,profile=baseline`;
}

function field(stdout: string, structure: string, name: string): number[] {
  const re = new RegExp(`${structure}, [^\\n]*?${name}=\\(g?u?int64\\)(\\d+)`, 'g');
  return [...stdout.matchAll(re)].map((m) => Number(m[1]));
}

/** Frames stored per distinct fragment timecode: a fragment sent again may be stored twice. */
function storedFrames(stream: string): number {
  const byTc = new Map<number, number>();
  for (const f of kvs.getFragments(stream)) byTc.set(f.fragmentTimecode, Math.max(byTc.get(f.fragmentTimecode) ?? 0, f.frameCount));
  return [...byTc.values()].reduce((a, b) => a + b, 0);
}

describe('network', () => {
  it('rotates PutMedia sessions at fragment boundaries after rotation-period, with no gap and nothing sent twice', async () => {
    const result = await gstLaunch(`${liveSource(360)} ! ${kvsSink('rotated', 'rotation-period=3')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const fragments = kvs.getFragments('rotated').sort((a, b) => a.fragmentTimecode - b.fragmentTimecode);
    const sessions = new Set(fragments.map((f) => f.session));
    expect(sessions.size).toBeGreaterThanOrEqual(3);
    // Nothing twice: every fragment stored once, and all 360 frames.
    expect(new Set(fragments.map((f) => f.fragmentTimecode)).size).toBe(fragments.length);
    expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(360);
    // No gap: each fragment starts where the previous one ended (within a frame).
    for (let i = 1; i < fragments.length; i++) {
      const gap = fragments[i]!.fragmentTimecode - (fragments[i - 1]!.fragmentTimecode + fragments[i - 1]!.durationMs);
      expect(Math.abs(gap)).toBeLessThanOrEqual(34);
    }
  });

  it('with the minimum storage-size and a 20 s stall, drops whole fragments from the oldest end, exactly counted, and the newest arrive', async () => {
    // The first session is cut after 3 fragments; the next ones meet a 20 s network freeze.
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'full-store', afterFragments: 3 });
    kvs.faults.add({ kind: 'stall', api: 'PutMedia', stream: 'full-store', call: 2, times: 0, ms: 20_000 });
    const frames = 1200;
    // 20 s of 5 Mbit/s noise (12.5 MB) overflow 3/4 of the guide's 10 MiB minimum.
    const result = await gstLaunch(`-m ${busyLiveSource(frames, 5000)} ! ${kvsSink('full-store', 'storage-size=10')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 120_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: KVS is not keeping up and the stream buffer \(storage-size=10 MB\) is 75% full: the oldest \d+ frame\(s\)/);
    const [dropped] = field(result.stdout, 'kvs-stream-closed', 'dropped-frames');
    const [byPressure] = field(result.stdout, 'kvs-stream-closed', 'frames-dropped-by-pressure');
    const reported = field(result.stdout, 'kvs-frames-dropped', 'frames');
    expect(byPressure).toBeGreaterThan(0);
    expect(reported.reduce((a, b) => a + b, 0)).toBe(byPressure);
    // Exactly: what did not arrive is what was reported dropped.
    expect(dropped).toBe(frames - storedFrames('full-store'));
    expect(result.stdout).not.toContain('kvs-fragment-rejected');
    expect(kvs.metrics('full-store')['PutMedia.ErrorAckCount']).toBe(0);
    const fragments = kvs.getFragments('full-store').sort((a, b) => a.fragmentTimecode - b.fragmentTimecode);
    expect(Math.max(...fragments.map((f) => f.durationMs))).toBeLessThanOrEqual(10_000);
    // The frames after the stall arrive: the last 10 s (the stall ends about 24 s in, the stream lasts 40 s).
    const first = fragments[0]!.fragmentTimecode;
    const lastEnd = fragments[fragments.length - 1]!.fragmentTimecode + fragments[fragments.length - 1]!.durationMs;
    expect(lastEnd - first).toBeGreaterThan(39_000);
    const tail = fragments.filter((f) => f.fragmentTimecode >= lastEnd - 10_000);
    expect(tail.reduce((n, f) => n + f.frameCount, 0)).toBeGreaterThanOrEqual(290);
  }, 200_000);

  it('loses nothing over 60 s with the connection dropped every 5 fragments and a 30 s outage', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'outage', afterFragments: 5, times: 0 });
    // From the fourth PutMedia (about 15 s in), every PutMedia is reset for 30 s.
    kvs.faults.add({ kind: 'reset', api: 'PutMedia', stream: 'outage', call: 4, times: 0, forMs: 30_000 });
    const frames = 1800;
    const result = await gstLaunch(`-m ${liveSource(frames)} ! ${kvsSink('outage')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 200_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(kvs.metrics('outage')['PutMedia.Requests']).toBeGreaterThanOrEqual(8);
    expect(field(result.stdout, 'kvs-stream-closed', 'dropped-frames')).toEqual([0]);
    // Every frame exactly once after deduplication (by fragment timecode): a replayed fragment
    // has the same boundaries, so one that overlapped another would count its frames twice.
    expect(storedFrames('outage')).toBe(frames);
    const fragments = kvs.getFragments('outage').sort((a, b) => a.fragmentTimecode - b.fragmentTimecode);
    for (let i = 1; i < fragments.length; i++) {
      if (fragments[i]!.fragmentTimecode === fragments[i - 1]!.fragmentTimecode) continue;
      expect(fragments[i]!.fragmentTimecode).toBeGreaterThanOrEqual(fragments[i - 1]!.fragmentTimecode + fragments[i - 1]!.durationMs);
    }
  }, 240_000);

  it('replays at most replay-duration after a failure, and says what it did not send again', async () => {
    // The first session gets no ACK and is cut after 8 fragments: all 8 wait to be resent.
    kvs.faults.add({ kind: 'withhold-acks', api: 'PutMedia', stream: 'replay-limit', ms: 60_000, times: 1 });
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'replay-limit', afterFragments: 8 });
    const result = await gstLaunch(`-m ${h264TestSource(300)} ! ${kvsSink('replay-limit', 'replay-duration=3')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: \d+ frame\(s\) \(\d+ fragment\(s\)\) sent but not acknowledged are older than replay-duration \(3 s\)/);
    expect(result.stdout).toMatch(/kvs-frames-dropped, cause=\(string\)replay-duration, frames=\(guint64\)\d+/);
    const fragments = kvs.getFragments('replay-limit');
    const lastOfFirst = Math.max(...fragments.filter((f) => f.session === 1).map((f) => f.fragmentTimecode));
    const firstOfSecond = Math.min(...fragments.filter((f) => f.session === 2).map((f) => f.fragmentTimecode));
    // The replay starts within replay-duration (plus the fragment it lands on) of the newest fragment sent.
    expect(firstOfSecond).toBeGreaterThanOrEqual(lastOfFirst - 3_000 - 1_100);
    expect(firstOfSecond).toBeLessThanOrEqual(lastOfFirst);
  });

  it('replaces a connection that falls behind max-latency, and posts the connection state', async () => {
    // The first session reads at half the bitrate; the next ones at full speed.
    kvs.faults.add({ kind: 'slow-read', api: 'PutMedia', stream: 'latency', bytesPerSecond: 50_000, times: 1 });
    const frames = 450;
    const result = await gstLaunch(`-m ${busyLiveSource(frames)} ! ${kvsSink('latency', 'max-latency=3')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/kvs-latency-pressure, backlog-ms=\(guint64\)\d+, max-latency-ms=\(guint64\)3000/);
    expect(result.stdout).toMatch(/kvs-connection-state, state=\(string\)reconnecting, cause=\(string\)LATENCY_PRESSURE, attempt=\(guint64\)1/);
    expect(result.stdout).toMatch(/kvs-connection-state, state=\(string\)connected, session=\(guint64\)2/);
    expect(kvs.metrics('latency')['PutMedia.Requests']).toBeGreaterThanOrEqual(2);
    expect(storedFrames('latency')).toBe(frames);
  });

  it('calls GetDataEndpoint again when PutMedia says the endpoint is invalid, and loses nothing', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'bad-endpoint', afterFragments: 3 });
    kvs.faults.add({ kind: 'fail-call', api: 'PutMedia', stream: 'bad-endpoint', call: 2, error: 'InvalidEndpointException' });
    const result = await gstLaunch(`${h264TestSource(300)} ! ${kvsSink('bad-endpoint')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: .*InvalidEndpointException.*calling GetDataEndpoint again/);
    expect(calls.filter((c) => c.api === 'GetDataEndpoint' && c.stream === 'bad-endpoint').length).toBeGreaterThanOrEqual(2);
    expect(storedFrames('bad-endpoint')).toBe(300);
  });

  it('backs off when the service throttles PutMedia (ClientLimitExceeded), then delivers everything', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'throttled', afterFragments: 3 });
    kvs.faults.add({ kind: 'fail-call', api: 'PutMedia', stream: 'throttled', call: 2, times: 2, error: 'ClientLimitExceededException' });
    const result = await gstLaunch(`-m ${h264TestSource(300)} ! ${kvsSink('throttled')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const delays = [...result.stdout.matchAll(/kvs-connection-state, state=\(string\)reconnecting, cause=\(string\)CLIENT_LIMIT_EXCEEDED, attempt=\(guint64\)(\d+), retry-in-ms=\(guint64\)(\d+)/g)]
      .map((m) => Number(m[2]));
    expect(delays.length).toBe(2);
    // Throttling waits at least half of 1 s, then of 2 s.
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[1]).toBeGreaterThanOrEqual(1000);
    expect(storedFrames('throttled')).toBe(300);
  });

  it('keeps at most buffer-duration of media while the network is frozen, dropping the oldest fragments', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'short-buffer', afterFragments: 2 });
    kvs.faults.add({ kind: 'stall', api: 'PutMedia', stream: 'short-buffer', call: 2, times: 0, ms: 30_000 });
    const frames = 1500;
    const result = await gstLaunch(`-m ${liveSource(frames)} ! ${kvsSink('short-buffer', 'buffer-duration=20')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/kvs-frames-dropped, cause=\(string\)buffer-duration, frames=\(guint64\)\d+/);
    expect(result.stdout).toMatch(/it holds more than buffer-duration \(20 s\) of media/);
    const [dropped] = field(result.stdout, 'kvs-stream-closed', 'dropped-frames');
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBe(frames - storedFrames('short-buffer'));
  }, 120_000);

  it('counts audio and video frames exactly when fragments of an audio+video stream are dropped', async () => {
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'av-full', afterFragments: 2 });
    kvs.faults.add({ kind: 'stall', api: 'PutMedia', stream: 'av-full', call: 2, times: 0, ms: 15_000 });
    const videoFrames = 750;
    // The AAC encoder may add a frame of its own at the end: the reference file counts what kvssink got.
    const reference = join(tempDir('av-full-reference'), 'audio.mkv');
    const pipeline = `-m ${kvsSink('av-full', 'storage-size=10')} name=sink ${busyLiveSource(videoFrames, 5000)} ! sink.video_0 ` +
      `audiotestsrc is-live=true samplesperbuffer=1024 num-buffers=${Math.floor((25 * 48_000) / 1024)} ! audio/x-raw,rate=48000,channels=2 ! ` +
      `avenc_aac ! aacparse ! audio/mpeg,stream-format=raw ! tee name=a ! queue ! sink.audio_0 a. ! queue ! matroskamux ! filesink location=${reference}`;
    const result = await gstLaunch(pipeline, gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const audioFrames = await ffprobePacketCount(reference, 'a:0');
    const [dropped] = field(result.stdout, 'kvs-stream-closed', 'dropped-frames');
    expect(field(result.stdout, 'kvs-stream-closed', 'frames-dropped-by-pressure')[0]).toBeGreaterThan(0);
    expect(dropped).toBe(videoFrames + audioFrames - storedFrames('av-full'));
    expect(kvs.metrics('av-full')['PutMedia.ErrorAckCount']).toBe(0);
  }, 120_000);

  it('drops a fragment that outgrows the store whole, with a warning naming the key-frame interval, and never stalls', async () => {
    // 10 s GOPs at about 1.5 MB/s: each fragment is larger than the 10 MB store.
    const frames = 600;
    const result = await gstLaunch(`-m ${busyLiveSource(frames, 12_000, 300)} ! ${kvsSink('oversized', 'storage-size=10')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 120_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: from element .*kvssink0: A single fragment outgrew the stream buffer \(storage-size=10 MB\) before KVS acknowledged it: its \d+ frame\(s\) were dropped whole; .*key-frame interval/);
    const [dropped] = field(result.stdout, 'kvs-stream-closed', 'dropped-frames');
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBe(frames - storedFrames('oversized'));
    expect(kvs.metrics('oversized')['PutMedia.ErrorAckCount']).toBe(0);
  }, 150_000);

  it('ends at EOS when the connection drops right after the last fragment is acknowledged', async () => {
    // 300 frames make 10 fragments: the session is cut after the ACKs of the last one.
    kvs.faults.add({ kind: 'drop-connection', api: 'PutMedia', stream: 'drop-at-eos', afterFragments: 10 });
    const result = await gstLaunch(`-m ${liveSource(300)} ! ${kvsSink('drop-at-eos', 'stop-stream-timeout=30')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 90_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The worker closes the stream itself (its summary is posted) instead of waiting for an EOS it already read.
    expect(field(result.stdout, 'kvs-stream-closed', 'dropped-frames')).toEqual([0]);
    expect(result.stdout).not.toMatch(/did not finish uploading within stop-stream-timeout/);
    expect(storedFrames('drop-at-eos')).toBe(300);
  });
});
