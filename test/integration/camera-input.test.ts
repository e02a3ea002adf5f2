/**
 * What cameras send, with real pipelines into the local endpoint, checked with ffprobe and
 * mkvinfo: audio with video from encoders with latency, Annex-B video straight from an encoder.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { exportStream } from '../../src/local/summary.js';
import {
  compileApp, ffprobeFrameCount, ffprobePacketCount, ffprobePacketTimesMs, ffprobeStream, gstEnv, gstLaunch, kvsSink, mkvinfo,
  run, tempDir, TEST_ACCESS_KEY, TEST_SECRET_KEY,
} from './gst.js';

let kvs: LocalKvs;
const outDir = tempDir('camera-out');

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('camera-data'), fsync: false });
});

afterAll(async () => {
  await kvs?.close();
});

const sink = kvsSink;

const RAW = 'video/x-raw,format=I420,width=320,height=240,framerate=30/1';

async function exported(stream: string): Promise<string> {
  const file = join(outDir, `${stream}.mkv`);
  await exportStream(kvs.dataDir, stream, file);
  return file;
}

describe('Annex-B (byte-stream) video straight from the encoder', () => {
  it('H.264 from x264enc: an avcC built from the in-band SPS/PPS, and every frame decodes', async () => {
    const result = await gstLaunch(`videotestsrc num-buffers=90 ! ${RAW} ! x264enc key-int-max=30 bframes=0 ! ` +
      `video/x-h264,stream-format=byte-stream,alignment=au ! ${sink('annexb-h264')}`,
    gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const file = await exported('annexb-h264');
    const info = await mkvinfo(file);
    expect(info.ok, info.output).toBe(true);
    expect(info.output).toMatch(/Codec ID: V_MPEG4\/ISO\/AVC/);
    expect(info.output).toMatch(/Codec's private data: size \d+ \(H\.264 profile: High @L/);
    expect(await ffprobeStream(file)).toMatchObject({ codec_name: 'h264', width: '320', height: '240' });
    expect(await ffprobeFrameCount(file)).toBe(90);
  });

  it('H.265 from x265enc: an hvcC built from the in-band VPS/SPS/PPS, and every frame decodes', async () => {
    const result = await gstLaunch(`videotestsrc num-buffers=90 ! ${RAW} ! x265enc key-int-max=30 ! ` +
      `video/x-h265,stream-format=byte-stream,alignment=au ! ${sink('annexb-h265')}`,
    gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const file = await exported('annexb-h265');
    const info = await mkvinfo(file);
    expect(info.ok, info.output).toBe(true);
    expect(info.output).toMatch(/Codec ID: V_MPEGH\/ISO\/HEVC/);
    expect(info.output).toMatch(/Codec's private data: size \d+ \(HEVC profile: Main @L/);
    expect(await ffprobeStream(file)).toMatchObject({ codec_name: 'hevc', width: '320', height: '240' });
    expect(await ffprobeFrameCount(file)).toBe(90);
  });
});

describe('audio with video, from encoders with latency', () => {
  // Each branch also goes, through a tee, to a Matroska file: what the encoders produced, read
  // by ffprobe, is what must arrive: every video frame, and every audio frame from the first
  // video key frame on (a fragment starts on a key frame; audio before it has no fragment).
  const cases = [
    { name: 'av-aac-lookahead', video: 'x264enc bframes=0 key-int-max=30 rc-lookahead=5', rate: 48000,
      audio: 'audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! audio/mpeg,stream-format=raw' },
    { name: 'av-aac-zerolatency', video: 'x264enc bframes=0 key-int-max=30 tune=zerolatency', rate: 48000,
      audio: 'audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! audio/mpeg,stream-format=raw' },
    { name: 'av-alaw', video: 'x264enc bframes=0 key-int-max=30 rc-lookahead=5', rate: 8000,
      audio: 'audio/x-raw,rate=8000,channels=1 ! alawenc' },
    { name: 'av-mulaw', video: 'x264enc bframes=0 key-int-max=30 rc-lookahead=5', rate: 16000,
      audio: 'audio/x-raw,rate=16000,channels=2 ! mulawenc' },
  ];
  const SECONDS = 30;

  for (const c of cases) {
    it.concurrent(`${c.name}: ${SECONDS} s live, no ERROR ack, every video and audio frame`, async () => {
      const reference = join(outDir, `${c.name}-reference.mkv`);
      const result = await gstLaunch(
        `kvssink name=sink stream-name=${c.name} access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY} ` +
        `matroskamux name=ref ! filesink location=${reference} ` +
        `videotestsrc is-live=true num-buffers=${SECONDS * 30} ! ${RAW} ! ${c.video} ! ` +
        'video/x-h264,stream-format=avc,alignment=au ! tee name=v ! queue ! sink.video_0 v. ! queue ! ref. ' +
        `audiotestsrc is-live=true samplesperbuffer=1024 num-buffers=${Math.floor((SECONDS * c.rate) / 1024)} ! ${c.audio} ! tee name=a ! queue ! sink.audio_0 a. ! queue ! ref.`,
        gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 120_000);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/WARNING: from element .*kvssink/);
      expect(kvs.metrics(c.name).ErrorAcks).toEqual({});
      const file = await exported(c.name);
      expect(await ffprobeFrameCount(file)).toBe(SECONDS * 30);
      // The reference file has millisecond timestamps: an audio frame within 1 ms of the first
      // video frame may fall on either side of it.
      const firstVideoMs = Math.min(...(await ffprobePacketTimesMs(reference, 'v:0')));
      const referenceAudio = await ffprobePacketTimesMs(reference, 'a:0');
      const surelyAfter = referenceAudio.filter((t) => t > firstVideoMs + 1).length;
      const maybeAfter = referenceAudio.filter((t) => t >= firstVideoMs - 1).length;
      expect(surelyAfter).toBeGreaterThan(SECONDS * 7);
      const stored = await ffprobePacketCount(file, 'a:0');
      expect(stored).toBeGreaterThanOrEqual(surelyAfter);
      expect(stored).toBeLessThanOrEqual(maybeAfter);
    }, 120_000);
  }
});

describe('buffers without timestamps, or with timestamps that go back', () => {
  let app: string;
  beforeAll(async () => {
    app = await compileApp('untimestamped-app', ['gstreamer-app-1.0', 'gstreamer-1.0']);
  });

  it('from appsrc in bursts: every frame arrives, strictly increasing in time, with one warning', async () => {
    const result = await run(app, ['untimestamped', 'none'], { env: gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/WARNING: Buffers arrive without timestamps/g)).toHaveLength(1);
    const times = await ffprobePacketTimesMs(await exported('untimestamped'));
    expect(times).toHaveLength(90);
    for (let i = 1; i < times.length; i++) expect(times[i]!, `frame ${i}`).toBeGreaterThan(times[i - 1]!);
  });

  it('jumping back at a key frame (a restarted source): a warning names it, a new session, every frame, no ERROR ack', async () => {
    const result = await run(app, ['backwards', 'backwards'], { env: gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: Timestamps on track 1 went back by 19(66|67) timecode units: the source or its clock restarted/);
    expect(kvs.metrics('backwards').ErrorAcks).toEqual({});
    expect(kvs.metrics('backwards')['PutMedia.Requests']).toBe(2);
    expect(kvs.getFragments('backwards').reduce((n, f) => n + f.frameCount, 0)).toBe(90);
  });
});
