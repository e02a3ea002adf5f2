/**
 * What cameras send, with real pipelines into the local endpoint, checked with ffprobe and
 * mkvinfo: Annex-B video straight from an encoder.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { exportStream } from '../../src/local/summary.js';
import { ffprobeFrameCount, ffprobeStream, gstEnv, gstLaunch, mkvinfo, tempDir, TEST_ACCESS_KEY, TEST_SECRET_KEY } from './gst.js';

let kvs: LocalKvs;
const outDir = tempDir('camera-out');

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('camera-data'), fsync: false });
});

afterAll(async () => {
  await kvs?.close();
});

function sink(streamName: string, extra = ''): string {
  return `kvssink stream-name=${streamName} access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY} ${extra}`;
}

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
