/**
 * The real element against the local endpoint: a kvssink stream is accepted unchanged (no
 * ERROR acks, every frame stored), and GetMedia of it decodes with the right frame count.
 * Skipped until the element (build-gst/) and the worker (dist/) are built.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postJson, startTestServer, type TestServer } from '../unit/local/helpers.js';

const root = process.cwd();
const built = existsSync(join(root, 'build-gst', 'libgstkvssink.so')) && existsSync(join(root, 'dist', 'worker', 'main.js'));

function runPipeline(url: string, stream: string, frames: number, audio = false): Promise<{ code: number | null; output: string }> {
  const video = [
    'videotestsrc', 'is-live=true', `num-buffers=${frames}`,
    '!', 'video/x-raw,width=320,height=240,framerate=30/1',
    '!', 'x264enc', 'tune=zerolatency', 'bframes=0', 'key-int-max=30', 'speed-preset=ultrafast',
    '!', 'video/x-h264,stream-format=avc,alignment=au,profile=baseline',
  ];
  const sink = ['kvssink', 'name=sink', `stream-name=${stream}`, 'access-key=AKIDEXAMPLE', 'secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws-region=us-west-2'];
  const pipeline = audio
    ? [...sink, ...video, '!', 'sink.video_0', 'audiotestsrc', 'is-live=true', `num-buffers=${Math.round((frames / 30) * 47)}`, '!', 'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!', 'audio/mpeg,stream-format=raw', '!', 'sink.audio_0']
    : [...video, '!', ...sink];
  const env = { ...process.env, GST_PLUGIN_PATH: join(root, 'build-gst'), AWS_ENDPOINT_URL_KINESIS_VIDEO: url };
  return new Promise((resolve) => {
    const child = spawn('gst-launch-1.0', ['-e', '-m', ...pipeline], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function ffprobeFrames(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim());
}

describe.skipIf(!built)('kvssink against the local endpoint', () => {
  let t: TestServer;
  const FRAMES = 90;

  beforeAll(async () => {
    t = await startTestServer({ activationDelayMs: 200, fsync: true, limits: { getMediaTps: 100 } });
    const r = await runPipeline(t.kvs.url, 'from-kvssink', FRAMES);
    if (r.code !== 0) throw new Error(`gst-launch-1.0 failed (${r.code}):\n${r.output.slice(-3000)}`);
  });

  afterAll(async () => {
    await t?.stop();
  });

  test('accepts the stream unchanged: no ERROR acks, every frame stored, raw body valid', async () => {
    const frags = t.kvs.getFragments('from-kvssink');
    expect(frags.reduce((n, f) => n + f.frameCount, 0)).toBe(FRAMES);
    expect(frags.length).toBeGreaterThanOrEqual(3);
    const m = t.kvs.metrics('from-kvssink');
    expect(m['PutMedia.ErrorAckCount']).toBe(0);
    expect(m.Acks.PERSISTED).toBe(frags.length);
    const raw = join(t.dir, 'streams', 'from-kvssink', 'sessions', '1.mkv');
    execFileSync('mkvinfo', [raw]);
    // The producer's END_OF_FRAGMENT tag is in the body (it completed the last fragment).
    expect(readFileSync(raw).includes('AWS_KINESISVIDEO_END_OF_FRAGMENT')).toBe(true);
    expect(ffprobeFrames(raw)).toBe(FRAMES);
  });

  test('GetMedia returns MKV that ffprobe decodes with the right frame count', async () => {
    const r = await postJson(t.kvs.url, '/getMedia', { StreamName: 'from-kvssink', StartSelector: { StartSelectorType: 'EARLIEST' } });
    expect(r.status).toBe(200);
    const file = join(t.dir, 'kvssink-getmedia.mkv');
    writeFileSync(file, r.body);
    execFileSync('mkvinfo', [file]);
    expect(ffprobeFrames(file)).toBe(FRAMES);
  });

  test('accepts an audio+video stream from kvssink (two tracks in every fragment)', async () => {
    const r = await runPipeline(t.kvs.url, 'av-from-kvssink', FRAMES, true);
    if (r.code !== 0) throw new Error(`gst-launch-1.0 failed (${r.code}):\n${r.output.slice(-3000)}`);
    const frags = t.kvs.getFragments('av-from-kvssink');
    expect(t.kvs.metrics('av-from-kvssink')['PutMedia.ErrorAckCount']).toBe(0);
    expect(frags.reduce((n, f) => n + (f.framesPerTrack[1] ?? 0), 0)).toBe(FRAMES);
    expect(frags.every((f) => (f.framesPerTrack[2] ?? 0) > 0)).toBe(true);
    const out = join(t.dir, 'av.mkv');
    const gm = await postJson(t.kvs.url, '/getMedia', { StreamName: 'av-from-kvssink', StartSelector: { StartSelectorType: 'EARLIEST' } });
    writeFileSync(out, gm.body);
    expect(ffprobeFrames(out)).toBe(FRAMES);
    const streams = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', out]).toString().trim().split('\n');
    expect(streams).toEqual(['h264', 'aac']);
  });
});
