import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { EbmlId } from '../../../src/mkv/ebml-id.js';
import { encodeId } from '../../../src/local/ebml.js';
import {
  cluster,
  clusters,
  createStream,
  ebmlHeader,
  eofrTags,
  header,
  metadataTags,
  mkvStream,
  perFragment,
  postJson,
  putMediaAll,
  segmentStart,
  startPutMedia,
  startTestServer,
  toProducerMkv,
  type AckJson,
  type TestServer,
} from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const types = (acks: AckJson[]): string[] => acks.map((a) => (a.EventType === 'ERROR' ? `ERROR:${a.ErrorId}` : a.EventType));

function h264Sample(seconds = 3): Buffer {
  const out = join(t!.dir, 'sample.mkv');
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${seconds * 30}`, '!', 'video/x-raw,framerate=30/1,width=160,height=120', '!', 'x264enc', 'key-int-max=30', 'bframes=0', 'speed-preset=ultrafast', '!', 'h264parse', '!', 'matroskamux', '!', 'filesink', `location=${out}`]);
  return execFileSync('cat', [out]);
}

describe('PutMedia ACK stream', () => {
  test('sends the ACKs of fragment 1 while the request body is still open (full duplex)', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'duplex');
    const [c1, c2] = clusters(2);
    const pm = await startPutMedia(t.kvs.url, { streamName: 'duplex', initial: Buffer.concat([header(), cluster(c1!), cluster(c2!)]) });
    expect(await pm.status).toBe(200);
    const seen: AckJson[] = [];
    // Fragment 1 is complete (cluster 2 started): its ACKs arrive although the body is open.
    while (perFragment(seen)[0] !== 'BUFFERING,RECEIVED,PERSISTED' || perFragment(seen)[1] !== 'BUFFERING') seen.push((await pm.next())!);
    expect(seen.find((a) => a.EventType === 'BUFFERING')!.FragmentTimecode).toBe(0);
    expect(seen.filter((a) => a.EventType === 'BUFFERING')[1]!.FragmentTimecode).toBe(1000);
    expect(pm.body.writableEnded).toBe(false);
    // The END_OF_FRAGMENT tag completes fragment 2, still without closing the body.
    await pm.write(eofrTags());
    while (perFragment(seen)[1] !== 'BUFFERING,RECEIVED,PERSISTED') seen.push((await pm.next())!);
    expect(pm.body.writableEnded).toBe(false);
    pm.end();
    expect(await pm.rest()).toEqual([]);
    const frags = t.kvs.getFragments('duplex');
    expect(frags).toHaveLength(2);
    expect(BigInt(frags[1]!.fragmentNumber)).toBeGreaterThan(BigInt(frags[0]!.fragmentNumber));
    expect(frags[0]!.fragmentNumber).toMatch(/^\d{47}$/);
  });

  test('completes the last fragment when the body ends (no END_OF_FRAGMENT tag)', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 's');
    const r = await putMediaAll(t.kvs.url, mkvStream({ eofr: false }), { streamName: 's', chunkSize: 5 });
    expect(perFragment(r.acks)).toEqual(Array(3).fill('BUFFERING,RECEIVED,PERSISTED'));
    expect(t.kvs.getFragments('s').map((f) => f.frameCount)).toEqual([10, 10, 10]);
  });

  test('sends no PERSISTED ack when DataRetentionInHours is 0', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'nopersist', 0);
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'nopersist' });
    expect(perFragment(r.acks)).toEqual(Array(3).fill('BUFFERING,RECEIVED'));
    expect(t.kvs.getFragments('nopersist').every((f) => !f.persisted)).toBe(true);
  });

  test('computes producer timestamps for RELATIVE and ABSOLUTE timecodes', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'ts');
    await putMediaAll(t.kvs.url, mkvStream({ clusters: clusters(2, { startMs: 500 }) }), { streamName: 'ts', timecodeType: 'RELATIVE', producerStart: '1700000000.250' });
    expect(t.kvs.getFragments('ts').map((f) => f.producerTimestampMs)).toEqual([1700000000750, 1700000001750]);
    const abs = Date.now() - 60_000;
    await putMediaAll(t.kvs.url, mkvStream({ clusters: [{ timecode: abs, frames: [{ timecode: 0, keyframe: true }] }] }), { streamName: 'ts', timecodeType: 'ABSOLUTE' });
    expect(t.kvs.getFragments('ts')[2]!.producerTimestampMs).toBe(abs);
    expect(t.kvs.getFragments('ts')[2]!.fragmentTimecode).toBe(abs);
  });

  test('sends IDLE acks while no data arrives and closes the request after the idle timeout', async () => {
    t = await startTestServer({ idleAckIntervalMs: 40, idleTimeoutMs: 300 });
    await createStream(t.kvs, 'idle');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'idle' });
    expect(await pm.next()).toEqual({ EventType: 'IDLE' });
    const rest = await pm.rest();
    expect(rest.every((a) => a.EventType === 'IDLE')).toBe(true);
    pm.end();
  });

  test('keeps the raw session body, which mkvinfo and ffprobe accept, and playable chunk files', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'raw');
    const { body, frames } = toProducerMkv(h264Sample(3));
    const r = await putMediaAll(t.kvs.url, body, { streamName: 'raw', chunkSize: 4096 });
    expect(types(r.acks).filter((x) => x === 'PERSISTED')).toHaveLength(3);
    const session = join(t.dir, 'streams', 'raw', 'sessions', '1.mkv');
    expect((await readFile(session)).equals(body)).toBe(true);
    execFileSync('mkvinfo', [session]);
    const count = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', session]).toString().trim();
    expect(Number(count)).toBe(frames[1]);
    const frags = t.kvs.getFragments('raw');
    expect(frags.reduce((n, f) => n + f.frameCount, 0)).toBe(frames[1]);
    const first = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', frags[0]!.file]).toString().trim();
    expect(Number(first)).toBe(frags[0]!.frameCount);
    expect(execFileSync('mkvinfo', [frags[0]!.file]).toString()).toContain('AWS_KINESISVIDEO_FRAGMENT_NUMBER');
  });
});

describe('PutMedia header validation', () => {
  test('rejects bad headers with the documented errors', async () => {
    t = await startTestServer();
    const arn = await createStream(t.kvs, 'hv');
    const cases: Array<[Parameters<typeof putMediaAll>[2], number, string]> = [
      [{ streamName: 'hv', streamArn: arn }, 400, 'InvalidArgumentException'],
      [{}, 400, 'InvalidArgumentException'],
      [{ streamName: 'hv', timecodeType: 'SOMETIMES' }, 400, 'InvalidArgumentException'],
      [{ streamName: 'hv', timecodeType: 'RELATIVE', producerStart: '' }, 400, 'InvalidArgumentException'],
      [{ streamName: 'hv', producerStart: 'yesterday' }, 400, 'InvalidArgumentException'],
      [{ streamName: 'missing' }, 404, 'ResourceNotFoundException'],
    ];
    for (const [opts, status, type] of cases) {
      const pm = await startPutMedia(t.kvs.url, opts);
      expect(await pm.status).toBe(status);
      expect((await pm.headers)['x-amzn-errortype']).toBe(type);
      expect(JSON.parse(await pm.errorBody)).toMatchObject({ __type: type });
      pm.end();
    }
    const byArn = await putMediaAll(t.kvs.url, mkvStream(), { streamArn: arn });
    expect(byArn.status).toBe(200);
  });

  test('accepts ABSOLUTE without a producer start timestamp', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'abs');
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'abs', timecodeType: 'ABSOLUTE', producerStart: '' });
    expect(r.status).toBe(200);
  });

  test('rejects a wrong secret with 403 InvalidSignatureException', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'auth');
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'auth', sign: { secretAccessKey: 'wrong' } });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.errorBody)).toMatchObject({ __type: 'InvalidSignatureException' });
    expect(t.kvs.metrics('auth')['PutMedia.ConnectionErrors']).toBe(1);
  });
});

describe('PutMedia rules (ERROR ack ids)', () => {
  const eofr = eofrTags();
  async function run(body: Buffer, opts: Parameters<typeof startTestServer>[0] = {}, stream = 'rules'): Promise<AckJson[]> {
    t = await startTestServer(opts);
    await createStream(t.kvs, stream);
    const r = await putMediaAll(t.kvs.url, body, { streamName: stream, chunkSize: 17 });
    expect(r.status).toBe(200);
    return r.acks;
  }
  const ok = (tc: number) => cluster({ timecode: tc, frames: [{ timecode: 0, keyframe: true }, { timecode: 40 }] });

  test('4010 TRACK_NUMBER_MISMATCH: a frame for an undeclared track; the next fragment is accepted', async () => {
    const bad = cluster({ timecode: 0, frames: [{ timecode: 0, keyframe: true }, { track: 2, timecode: 10 }] });
    const acks = await run(Buffer.concat([header(), bad, ok(1000), eofr]));
    expect(perFragment(acks)).toEqual(['BUFFERING,ERROR:4010', 'BUFFERING,RECEIVED,PERSISTED']);
    expect(acks[1]).toMatchObject({ ErrorCode: 'TRACK_NUMBER_MISMATCH', FragmentTimecode: 0, FragmentNumber: acks[0]!.FragmentNumber });
    expect(t!.kvs.getFragments('rules')).toHaveLength(1);
  });

  test('4011 FRAMES_MISSING_FOR_TRACK: a declared track without frames', async () => {
    const tracks = [{ number: 1 }, { number: 2, type: 2, codecId: 'A_AAC' }];
    const body = Buffer.concat([header(tracks), ok(0), eofr]);
    expect(perFragment(await run(body))).toEqual(['BUFFERING,ERROR:4011']);
  });

  test('4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS: timecodes must increase across fragments', async () => {
    const body = Buffer.concat([header(), ok(1000), ok(500), ok(2000), eofr]);
    const acks = await run(body);
    expect(perFragment(acks)).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'BUFFERING,ERROR:4004', 'BUFFERING,RECEIVED,PERSISTED']);
    expect(acks.find((a) => a.EventType === 'ERROR')!.ErrorCode).toBe('FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS');
  });

  test('4004 also when the first frame equals the last frame of the previous fragment', async () => {
    const a = cluster({ timecode: 0, frames: [{ timecode: 0, keyframe: true }, { timecode: 500 }] });
    const b = cluster({ timecode: 500, frames: [{ timecode: 0, keyframe: true }] });
    expect(types(await run(Buffer.concat([header(), a, b, eofr])))).toContain('ERROR:4004');
  });

  test('4002 MAX_FRAGMENT_DURATION_REACHED: frame timecodes spanning more than 10 s', async () => {
    const long = cluster({ timecode: 0, frames: [{ timecode: 0, keyframe: true }, { timecode: 10_001 }] });
    const exactly = cluster({ timecode: 20_000, frames: [{ timecode: 0, keyframe: true }, { timecode: 10_000 }] });
    expect(perFragment(await run(Buffer.concat([header(), long, exactly, eofr])))).toEqual(['BUFFERING,ERROR:4002', 'BUFFERING,RECEIVED,PERSISTED']);
  });

  test('4001 MAX_FRAGMENT_SIZE_REACHED: a fragment over the size limit', async () => {
    const big = cluster({ timecode: 0, frames: [{ timecode: 0, keyframe: true, size: 300 }, { timecode: 40, size: 300 }] });
    expect(perFragment(await run(Buffer.concat([header(), big, ok(1000), eofr]), { limits: { maxFragmentBytes: 500 } }))).toEqual(['BUFFERING,ERROR:4001', 'BUFFERING,RECEIVED,PERSISTED']);
  });

  test('4005 MORE_THAN_ALLOWED_TRACKS_FOUND: more than three tracks ends the session', async () => {
    const tracks = [1, 2, 3, 4].map((number) => ({ number }));
    const c = cluster({ timecode: 0, frames: [1, 2, 3, 4].map((track) => ({ track, timecode: 0, keyframe: true })) });
    const acks = await run(Buffer.concat([header(tracks), c, ok(1000), eofr]));
    expect(types(acks)).toEqual(['ERROR:4005']);
    expect(acks[0]!.FragmentNumber).toMatch(/^\d+$/);
  });

  test('4006 INVALID_MKV_DATA: unparseable data ends the session', async () => {
    expect(types(await run(Buffer.from('this is not matroska at all')))).toEqual(['ERROR:4006']);
  });

  test('4006 INVALID_MKV_DATA: a second segment', async () => {
    const body = Buffer.concat([header(), ok(0), ebmlHeader(), segmentStart(), ok(1000)]);
    const acks = await run(body);
    expect(perFragment(acks)).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'ERROR:4006']);
  });

  test('4006 INVALID_MKV_DATA: a Tracks element after the first cluster', async () => {
    const body = Buffer.concat([header(), ok(0), header().subarray(ebmlHeader().length + segmentStart().length), ok(1000)]);
    expect(perFragment(await run(body))).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'ERROR:4006']);
  });

  test('4006 INVALID_MKV_DATA: a cluster without Timestamp', async () => {
    const body = Buffer.concat([header(), encodeId(EbmlId.Cluster), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), eofr]);
    expect(types(await run(body))).toEqual(['ERROR:4006']);
  });

  test('4007 INVALID_PRODUCER_TIMESTAMP: a producer timestamp far in the future', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'future');
    const tc = Date.now() + 24 * 3600 * 1000;
    const r = await putMediaAll(t.kvs.url, Buffer.concat([header(), ok(tc), eofr]), { streamName: 'future', timecodeType: 'ABSOLUTE' });
    expect(perFragment(r.acks)).toEqual(['BUFFERING,ERROR:4007']);
  });

  test('4008 STREAM_NOT_ACTIVE: PutMedia to a stream that is still CREATING', async () => {
    t = await startTestServer({ activationDelayMs: 60_000 });
    await createStream(t.kvs, 'creating');
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'creating' });
    expect(r.status).toBe(200);
    expect(types(r.acks)).toEqual(['ERROR:4008']);
  });

  test('4008 STREAM_NOT_ACTIVE: the stream is deleted during the session', async () => {
    t = await startTestServer();
    const arn = await createStream(t.kvs, 'doomed');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'doomed', initial: Buffer.concat([header(), ok(0), ok(1000)]) });
    expect(types([(await pm.next())!, (await pm.next())!])).toEqual(['BUFFERING', 'RECEIVED']);
    expect((await postJson(t.kvs.url, '/deleteStream', { StreamARN: arn })).status).toBe(200);
    const rest = await pm.rest();
    expect(types(rest)).toContain('ERROR:4008');
    pm.end();
  });

  test('4009 FRAGMENT_METADATA_LIMIT_REACHED: more than 10 metadata items, or an AWS-prefixed name', async () => {
    const many = metadataTags(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'] as [string, string]));
    const aws = metadataTags([['AWS_MINE', 'x']]);
    const fine = metadataTags([['motion', 'true']]);
    const acks = await run(Buffer.concat([header(), many, ok(0), aws, ok(1000), fine, ok(2000), eofr]));
    expect(perFragment(acks)).toEqual(['BUFFERING,ERROR:4009', 'BUFFERING,ERROR:4009', 'BUFFERING,RECEIVED,PERSISTED']);
    expect(t!.kvs.getFragments('rules')[0]!.metadata).toEqual([['motion', 'true']]);
  });

  test('KMS errors (4500–4506) for streams whose key is configured to fail', async () => {
    t = await startTestServer({ kmsKeyErrors: { 'disabled-key': 4501 } });
    const r0 = await postJson(t.kvs.url, '/createStream', { StreamName: 'kms', KmsKeyId: 'disabled-key', DataRetentionInHours: 1 });
    expect(r0.status).toBe(200);
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'kms' });
    expect(r.acks).toEqual([expect.objectContaining({ EventType: 'ERROR', ErrorId: 4501, ErrorCode: 'KMS_KEY_DISABLED' })]);
  });

  test('4003 MAX_CONNECTION_DURATION_REACHED after the configured connection duration', async () => {
    t = await startTestServer({ maxConnectionDurationMs: 150 });
    await createStream(t.kvs, 'long');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'long', initial: Buffer.concat([header(), ok(0)]) });
    const acks = await pm.rest();
    expect(perFragment(acks)).toEqual(['BUFFERING,ERROR:4003']);
    pm.end();
  });
});

describe('PutMedia limits', () => {
  test('throttles PutMedia calls per stream with ClientLimitExceededException', async () => {
    t = await startTestServer({ limits: { putMediaTps: 2 } });
    await createStream(t.kvs, 'tps');
    const statuses: number[] = [];
    const errors: string[] = [];
    for (let i = 0; i < 3; i++) {
      const pm = await startPutMedia(t.kvs.url, { streamName: 'tps' });
      statuses.push(await pm.status);
      errors.push(String((await pm.headers)['x-amzn-errortype'] ?? ''));
      pm.end();
      await pm.rest();
    }
    expect(statuses).toEqual([200, 200, 400]);
    expect(errors[2]).toBe('ClientLimitExceededException');
  });

  test('reads at most the per-stream byte rate and rejects new calls while over it', async () => {
    t = await startTestServer({ limits: { putMediaBytesPerSecond: 1000 } });
    await createStream(t.kvs, 'bw');
    const body = mkvStream({ clusters: [{ timecode: 0, frames: Array.from({ length: 30 }, (_, i) => ({ timecode: i * 33, keyframe: i === 0, size: 100 })) }] });
    const pm = await startPutMedia(t.kvs.url, { streamName: 'bw', initial: body });
    expect(await pm.status).toBe(200);
    const first = await pm.next();
    const second = await startPutMedia(t.kvs.url, { streamName: 'bw' });
    expect(await second.status).toBe(400);
    expect((await second.headers)['x-amzn-errortype']).toBe('ClientLimitExceededException');
    second.end();
    pm.end();
    expect(perFragment([first!, ...(await pm.rest())])).toEqual(['BUFFERING,RECEIVED,PERSISTED']);
  });

  test('accepts the last of concurrent PutMedia connections and ends the older one', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'conn');
    const a = await startPutMedia(t.kvs.url, { streamName: 'conn', initial: Buffer.concat([header(), cluster(clusters(1)[0]!)]) });
    expect((await a.next())!.EventType).toBe('BUFFERING');
    const b = await startPutMedia(t.kvs.url, { streamName: 'conn', initial: mkvStream({ clusters: clusters(2, { startMs: 5000 }) }) });
    b.end();
    expect(await b.status).toBe(200);
    await a.rest(); // the older response ends
    a.end();
    expect(perFragment(await b.rest())).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'BUFFERING,RECEIVED,PERSISTED']);
  });
});

describe('persistence', () => {
  test('a restarted server still knows streams and fragments, and numbers keep increasing', async () => {
    t = await startTestServer();
    const arn = await createStream(t.kvs, 'keep');
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'keep' });
    const before = t.kvs.getFragments('keep');
    await t.restart();
    expect(t.kvs.listStreams().map((s) => [s.streamName, s.streamArn, s.fragments])).toEqual([['keep', arn, 3]]);
    expect(t.kvs.getFragments('keep')).toEqual(before);
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'keep' });
    const after = t.kvs.getFragments('keep');
    expect(after).toHaveLength(6);
    expect(BigInt(after[3]!.fragmentNumber)).toBeGreaterThan(BigInt(before[2]!.fragmentNumber));
    expect(after[3]!.session).toBe(2);
    expect(t.kvs.metrics('keep')['PutMedia.Requests']).toBe(2);
  });

  test('keepRawSessions: false leaves an empty session body file', async () => {
    t = await startTestServer({ keepRawSessions: false });
    await createStream(t.kvs, 'noraw');
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'noraw' });
    expect(t.kvs.getFragments('noraw')).toHaveLength(3);
    for (let i = 0; i < 100; i++) {
      try {
        await readFile(join(t.dir, 'streams', 'noraw', 'sessions', '1.json'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect((await readFile(join(t.dir, 'streams', 'noraw', 'sessions', '1.mkv'))).length).toBe(0);
  });

  test('a stream deleted and re-created at once under the same name starts empty and keeps its new data', async () => {
    t = await startTestServer();
    const arn = await createStream(t.kvs, 'again');
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'again' });
    expect((await postJson(t.kvs.url, '/deleteStream', { StreamARN: arn })).status).toBe(200);
    const arn2 = await createStream(t.kvs, 'again');
    expect(arn2).not.toBe(arn);
    expect(t.kvs.getFragments('again')).toEqual([]);
    await putMediaAll(t.kvs.url, mkvStream({ clusters: clusters(2) }), { streamName: 'again' });
    await new Promise((r) => setTimeout(r, 50));
    await t.restart();
    expect(t.kvs.getFragments('again')).toHaveLength(2);
  });
});
