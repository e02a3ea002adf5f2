import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EbmlId } from '../../../src/mkv/ebml-id.js';
import { readId, readSize } from '../../../src/local/ebml.js';
import { createMkvParser, parseTags } from '../../../src/local/mkv-parser.js';
import { exportStream, summarizeStream } from '../../../src/local/summary.js';
import { clusters, createStream, mkvStream, postJson, putMediaAll, startTestServer, toProducerMkv, type TestServer } from './helpers.js';

let t: TestServer;
let sample: { body: Buffer; frames: Record<number, number>; clusters: number };

function ffprobeFrames(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim());
}

/** Tags (name → values) and the number of clusters in a GetMedia-style payload. */
function inspect(payload: Buffer): { tags: Map<string, string[]>; clusters: number; segments: number } {
  // A payload is a sequence of chunks, each with its own EBML header + Segment: parse chunk by chunk.
  const tags = new Map<string, string[]>();
  let clusters = 0;
  let segments = 0;
  let rest = payload;
  while (rest.length > 0) {
    const next = rest.indexOf(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), 1);
    const chunk = next < 0 ? rest : rest.subarray(0, next);
    rest = next < 0 ? Buffer.alloc(0) : rest.subarray(next);
    if (chunk.readUInt32BE(0) === EbmlId.Tags) {
      // A bare Tags element (an error report without a chunk).
      const id = readId(chunk, 0)!;
      const size = readSize(chunk, id.length)!;
      for (const s of parseTags(chunk.subarray(id.length + size.length))) tags.set(s.name, [...(tags.get(s.name) ?? []), s.value]);
      continue;
    }
    const p = createMkvParser();
    for (const ev of [...p.push(chunk), ...p.end()]) {
      if (ev.type === 'segment') segments++;
      if (ev.type === 'cluster-start') clusters++;
      if (ev.type === 'tags') for (const s of ev.simpleTags) tags.set(s.name, [...(tags.get(s.name) ?? []), s.value]);
    }
  }
  return { tags, clusters, segments };
}

beforeAll(async () => {
  t = await startTestServer({ getMediaIdleMs: 100, limits: { getMediaTps: 1000 } });
  const raw = join(t.dir, 'sample.mkv');
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=120', '!', 'video/x-raw,framerate=30/1,width=160,height=120', '!', 'x264enc', 'key-int-max=30', 'bframes=0', 'speed-preset=ultrafast', '!', 'h264parse', '!', 'matroskamux', '!', 'filesink', `location=${raw}`]);
  sample = toProducerMkv(readFileSync(raw));
  await createStream(t.kvs, 'video', 24);
  const r = await putMediaAll(t.kvs.url, sample.body, { streamName: 'video', chunkSize: 3000, timecodeType: 'RELATIVE', producerStart: '1700000000.000' });
  expect(r.status).toBe(200);
});

afterAll(async () => {
  await t.stop();
});

describe('GetMedia', () => {
  test('EARLIEST returns every chunk with the service tags, and ffprobe counts every frame', async () => {
    const r = await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: { StartSelectorType: 'EARLIEST' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('video/webm');
    const file = join(t.dir, 'getmedia.mkv');
    writeFileSync(file, r.body);
    expect(ffprobeFrames(file)).toBe(sample.frames[1]);
    execFileSync('mkvinfo', [file]);
    const info = inspect(r.body);
    const numbers = t.kvs.getFragments('video').map((f) => f.fragmentNumber);
    expect(info.clusters).toBe(4);
    expect(info.segments).toBe(4);
    expect(info.tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual(numbers);
    expect(info.tags.get('AWS_KINESISVIDEO_CONTINUATION_TOKEN')).toEqual(numbers);
    expect(info.tags.get('AWS_KINESISVIDEO_PRODUCER_TIMESTAMP')).toEqual(['1700000000.000', '1700000001.000', '1700000002.000', '1700000003.000']);
    expect(info.tags.get('AWS_KINESISVIDEO_SERVER_TIMESTAMP')).toHaveLength(4);
    expect(info.tags.get('AWS_KINESISVIDEO_MILLIS_BEHIND_NOW')).toHaveLength(4);
    const m = t.kvs.metrics('video');
    expect(m['GetMedia.OutgoingFragments']).toBeGreaterThanOrEqual(4);
  });

  test('FRAGMENT_NUMBER and CONTINUATION_TOKEN start after the given fragment', async () => {
    const numbers = t.kvs.getFragments('video').map((f) => f.fragmentNumber);
    for (const sel of [
      { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: numbers[1] },
      { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: numbers[1] },
    ]) {
      const r = await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: sel });
      expect(inspect(r.body).tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual(numbers.slice(2));
    }
  });

  test('NOW starts with the latest chunk; PRODUCER/SERVER_TIMESTAMP with the chunk containing the time', async () => {
    const frags = t.kvs.getFragments('video');
    const numbers = frags.map((f) => f.fragmentNumber);
    const now = await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: { StartSelectorType: 'NOW' } });
    expect(inspect(now.body).tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual(numbers.slice(3));
    const prod = await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: { StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: 1700000001.5 } });
    expect(inspect(prod.body).tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual(numbers.slice(1));
    const server = await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: { StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: frags[2]!.serverTimestampMs / 1000 } });
    const firstAtOrAfter = frags.find((f) => f.serverTimestampMs >= frags[2]!.serverTimestampMs)!;
    expect(inspect(server.body).tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')?.[0]).toBe(firstAtOrAfter.fragmentNumber);
  });

  test('follows new fragments that arrive while the response is open', async () => {
    await createStream(t.kvs, 'live', 1);
    const pending = postJson(t.kvs.url, '/getMedia', { StreamName: 'live', StartSelector: { StartSelectorType: 'EARLIEST' } });
    await new Promise((r) => setTimeout(r, 20));
    await putMediaAll(t.kvs.url, mkvStream({ clusters: clusters(2) }), { streamName: 'live' });
    const r = await pending;
    expect(inspect(r.body).clusters).toBe(2);
  });

  test('rejects bad selectors and unknown streams', async () => {
    expect((await postJson(t.kvs.url, '/getMedia', { StreamName: 'video' })).status).toBe(400);
    expect((await postJson(t.kvs.url, '/getMedia', { StreamName: 'video', StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER' } })).headers['x-amzn-errortype']).toBe('InvalidArgumentException');
    const missing = await postJson(t.kvs.url, '/getMedia', { StreamName: 'nope', StartSelector: { StartSelectorType: 'NOW' } });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-amz-errortype']).toBe('ResourceNotFoundException');
  });
});

describe('ListFragments and GetMediaForFragmentList', () => {
  test('lists archived fragments, filters by timestamp range and paginates', async () => {
    const all = (await postJson(t.kvs.url, '/listFragments', { StreamName: 'video' })).json() as { Fragments: Array<Record<string, unknown>> };
    expect(all.Fragments).toHaveLength(4);
    expect(all.Fragments[0]).toMatchObject({ FragmentNumber: expect.stringMatching(/^\d+$/), ProducerTimestamp: 1700000000, FragmentLengthInMilliseconds: 1000, FragmentSizeInBytes: expect.any(Number) });
    const range = (await postJson(t.kvs.url, '/listFragments', { StreamName: 'video', FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: 1700000000.5, EndTimestamp: 1700000002 } } })).json() as { Fragments: Array<{ ProducerTimestamp: number }> };
    expect(range.Fragments.map((f) => f.ProducerTimestamp)).toEqual([1700000001, 1700000002]);
    const p1 = (await postJson(t.kvs.url, '/listFragments', { StreamName: 'video', MaxResults: 3 })).json() as { Fragments: unknown[]; NextToken?: string };
    expect(p1.Fragments).toHaveLength(3);
    const p2 = (await postJson(t.kvs.url, '/listFragments', { StreamName: 'video', MaxResults: 3, NextToken: p1.NextToken })).json() as { Fragments: unknown[]; NextToken?: string };
    expect(p2.Fragments).toHaveLength(1);
    expect(p2.NextToken).toBeUndefined();
  });

  test('a stream without retention has no archived fragments', async () => {
    await createStream(t.kvs, 'buffer-only', 0);
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'buffer-only' });
    expect(((await postJson(t.kvs.url, '/listFragments', { StreamName: 'buffer-only' })).json() as { Fragments: unknown[] }).Fragments).toEqual([]);
    // GetMedia still reads the host buffer.
    const r = await postJson(t.kvs.url, '/getMedia', { StreamName: 'buffer-only', StartSelector: { StartSelectorType: 'EARLIEST' } });
    expect(inspect(r.body).clusters).toBe(3);
  });

  test('GetMediaForFragmentList returns the chunks asked for with the *_SIDE_TIMESTAMP tags', async () => {
    const numbers = t.kvs.getFragments('video').map((f) => f.fragmentNumber);
    const r = await postJson(t.kvs.url, '/getMediaForFragmentList', { StreamName: 'video', Fragments: [numbers[3], numbers[0]] });
    expect(r.status).toBe(200);
    const info = inspect(r.body);
    expect(info.tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual([numbers[3], numbers[0]]);
    expect(info.tags.get('AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP')).toEqual(['1700000003.000', '1700000000.000']);
    expect(info.tags.has('AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP')).toBe(true);
    const file = join(t.dir, 'gffl.mkv');
    writeFileSync(file, r.body);
    const frags = t.kvs.getFragments('video');
    expect(ffprobeFrames(file)).toBe(frags[3]!.frameCount + frags[0]!.frameCount);
  });

  test('GetMediaForFragmentList reports an unknown fragment in exception tags', async () => {
    const r = await postJson(t.kvs.url, '/getMediaForFragmentList', { StreamName: 'video', Fragments: ['123'] });
    const info = inspect(r.body);
    expect(info.tags.get('AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE')).toEqual(['4000']);
    expect(info.tags.get('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toEqual(['123']);
    expect((await postJson(t.kvs.url, '/getMediaForFragmentList', { StreamName: 'video', Fragments: [] })).status).toBe(400);
  });
});

describe('summary and export', () => {
  test('summarizeStream counts fragments, frames, bytes and ACKs from the data directory', async () => {
    const s = await summarizeStream(t.dir, 'video');
    expect(s).toMatchObject({ streamName: 'video', fragments: 4, frames: sample.frames[1], sessions: 1 });
    expect(s.acks).toMatchObject({ BUFFERING: 4, RECEIVED: 4, PERSISTED: 4, ERROR: 0 });
    expect(s.bytes).toBe(t.kvs.getFragments('video').reduce((n, f) => n + f.sizeBytes, 0));
  });

  test('exportStream writes one playable .mkv (header once), also for a time range', async () => {
    const out = join(t.dir, 'export.mkv');
    const r = await exportStream(t.dir, 'video', out);
    expect(r).toMatchObject({ fragments: 4, segments: 1, frames: sample.frames[1] });
    expect(ffprobeFrames(out)).toBe(sample.frames[1]);
    const duration = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]).toString().trim());
    expect(duration).toBeGreaterThan(3.5);
    expect(duration).toBeLessThan(4.5);
    const part = join(t.dir, 'part.mkv');
    const p = await exportStream(t.dir, 'video', part, { startMs: 1700000001000, endMs: 1700000002000 });
    expect(p.fragments).toBe(2);
    expect(ffprobeFrames(part)).toBe(p.frames);
  });
});
