import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, test } from 'vitest';
import { createFaultRegistry, parseFaultFlag } from '../../../src/local/faults.js';
import { clusters, createStream, mkvStream, perFragment, postJson, putMediaAll, signRequest, startPutMedia, startTestServer, type TestServer } from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms));

describe('fault injection', () => {
  test('forMs and stall: a fault fires only within its window from the first firing', async () => {
    const faults = createFaultRegistry();
    faults.add({ kind: 'reset', api: '*', times: 0, forMs: 150 });
    faults.add({ kind: 'stall', api: 'PutMedia', times: 0, ms: 150 });
    const first = faults.take('PutMedia', 's');
    expect(first.map((f) => f.kind)).toEqual(['reset', 'stall']);
    expect(first[1]!.untilMs).toBeGreaterThan(Date.now());
    expect(faults.take('DescribeStream', 's').map((f) => f.kind)).toEqual(['reset']);
    await sleep(200);
    expect(faults.take('PutMedia', 's')).toEqual([]);
    expect(() => faults.add({ kind: 'stall', api: 'PutMedia' })).toThrow(/needs ms/);
    expect(parseFaultFlag('reset:api=*,times=0,forMs=30000')).toMatchObject({ forMs: 30000 });
  });

  test('drop-connection after N bytes: the socket closes after exactly N body bytes', async () => {
    t = await startTestServer({ faults: [{ kind: 'drop-connection', afterBytes: 500 }] });
    await createStream(t.kvs, 'drop');
    const body = mkvStream({ clusters: clusters(5) });
    expect(body.length).toBeGreaterThan(1000);
    const pm = await startPutMedia(t.kvs.url, { streamName: 'drop', initial: body });
    await pm.status;
    await pm.rest();
    pm.end();
    for (let i = 0; i < 100; i++) {
      try {
        const summary = JSON.parse(await readFile(join(t.dir, 'streams', 'drop', 'sessions', '1.json'), 'utf8')) as { endReason: string };
        expect(summary.endReason).toBe('fault-drop');
        expect((await stat(join(t.dir, 'streams', 'drop', 'sessions', '1.mkv'))).size).toBe(500);
        break;
      } catch (err) {
        if (i === 99) throw err;
        await sleep(10);
      }
    }
    // The fault fired once: the next session is not dropped.
    const again = await putMediaAll(t.kvs.url, body, { streamName: 'drop' });
    expect(perFragment(again.acks)).toHaveLength(5);
  });

  test('drop-connection after K fragments: ACKs of K fragments, then the connection ends', async () => {
    t = await startTestServer({ faults: [{ kind: 'drop-connection', afterFragments: 2 }] });
    await createStream(t.kvs, 'dropk');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'dropk', initial: mkvStream({ clusters: clusters(5) }) });
    const acks = await pm.rest();
    pm.end();
    expect(perFragment(acks).slice(0, 2)).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'BUFFERING,RECEIVED,PERSISTED']);
    expect(acks.filter((a) => a.EventType === 'PERSISTED')).toHaveLength(2);
    expect(t.kvs.getFragments('dropk')).toHaveLength(2);
  });

  test('fail-call: the Nth control-plane call fails with 500 / ClientLimitExceeded / ResourceNotFound', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'fc');
    t.kvs.faults.add({ kind: 'fail-call', api: 'DescribeStream', call: 2, error: '500' });
    t.kvs.faults.add({ kind: 'fail-call', api: 'GetDataEndpoint', call: 1, error: 'ClientLimitExceeded' });
    t.kvs.faults.add({ kind: 'fail-call', api: 'ListStreams', call: 1, error: 'ResourceNotFound' });
    const d = [];
    for (let i = 0; i < 3; i++) d.push((await postJson(t.kvs.url, '/describeStream', { StreamName: 'fc' })).status);
    expect(d).toEqual([200, 500, 200]);
    const e = await postJson(t.kvs.url, '/getDataEndpoint', { StreamName: 'fc', APIName: 'PUT_MEDIA' });
    expect([e.status, e.headers['x-amzn-errortype']]).toEqual([400, 'ClientLimitExceededException']);
    const l = await postJson(t.kvs.url, '/listStreams', {});
    expect([l.status, l.headers['x-amzn-errortype']]).toEqual([404, 'ResourceNotFoundException']);
    expect((await postJson(t.kvs.url, '/getDataEndpoint', { StreamName: 'fc', APIName: 'PUT_MEDIA' })).status).toBe(200);
  });

  test('error-ack: an ERROR ack with the chosen id for fragment K', async () => {
    t = await startTestServer({ faults: [{ kind: 'error-ack', fragment: 2, errorId: 4500 }] });
    await createStream(t.kvs, 'ea');
    const r = await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'ea' });
    expect(perFragment(r.acks)).toEqual(['BUFFERING,RECEIVED,PERSISTED', 'BUFFERING,ERROR:4500', 'BUFFERING,RECEIVED,PERSISTED']);
    expect(r.acks.find((a) => a.EventType === 'ERROR')).toMatchObject({ ErrorCode: 'KMS_KEY_ACCESS_DENIED', FragmentTimecode: 1000 });
  });

  test('withhold-acks: no ACK before T ms, then all of them in order', async () => {
    t = await startTestServer({ faults: [{ kind: 'withhold-acks', ms: 400 }] });
    await createStream(t.kvs, 'wh');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'wh', initial: mkvStream() });
    expect(await pm.status).toBe(200);
    const first = pm.next();
    expect(await Promise.race([first, sleep(150)])).toBe('timeout');
    pm.end();
    const rest = [(await first)!, ...(await pm.rest())];
    expect(perFragment(rest)).toEqual(Array(3).fill('BUFFERING,RECEIVED,PERSISTED'));
  });

  test('not-authorized: PutMedia call N gets 401 NotAuthorizedException', async () => {
    t = await startTestServer({ faults: [{ kind: 'not-authorized', call: 2 }] });
    await createStream(t.kvs, 'na');
    const statuses: Array<[number, string]> = [];
    for (let i = 0; i < 3; i++) {
      const pm = await startPutMedia(t.kvs.url, { streamName: 'na', initial: mkvStream({ clusters: clusters(1, { startMs: i * 5000 }) }) });
      pm.end();
      statuses.push([await pm.status, String((await pm.headers)['x-amzn-errortype'] ?? '')]);
      await pm.rest();
    }
    expect(statuses).toEqual([[200, ''], [401, 'NotAuthorizedException'], [200, '']]);
  });

  test('slow-read: the body is read at B bytes/s', async () => {
    t = await startTestServer({ faults: [{ kind: 'slow-read', bytesPerSecond: 4000 }] });
    await createStream(t.kvs, 'slow');
    const body = mkvStream({ clusters: [{ timecode: 0, frames: Array.from({ length: 60 }, (_, i) => ({ timecode: i * 33, keyframe: i === 0, size: 100 })) }] });
    expect(body.length).toBeGreaterThan(6000);
    const started = Date.now();
    const r = await putMediaAll(t.kvs.url, body, { streamName: 'slow', chunkSize: 1000 });
    // At least (size - burst) / rate seconds: a lower bound only.
    expect(Date.now() - started).toBeGreaterThanOrEqual(((body.length - 4000) / 4000) * 1000 - 50);
    expect(perFragment(r.acks)).toEqual(['BUFFERING,RECEIVED,PERSISTED']);
  });

  test('black-hole: the request is accepted and never answered; close() still returns', async () => {
    t = await startTestServer({ faults: [{ kind: 'black-hole', api: 'DescribeStream' }] });
    await createStream(t.kvs, 'bh');
    const agent = new Agent({ headersTimeout: 300, keepAliveTimeout: 10 });
    const text = JSON.stringify({ StreamName: 'bh' });
    const headers = await signRequest(`${t.kvs.url}/describeStream`, { body: text });
    await expect(request(`${t.kvs.url}/describeStream`, { method: 'POST', headers, body: text, dispatcher: agent })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    await agent.close();
    expect((await postJson(t.kvs.url, '/describeStream', { StreamName: 'bh' })).status).toBe(200);
  });

  test('reset: the TCP connection is reset', async () => {
    t = await startTestServer({ faults: [{ kind: 'reset', api: 'PutMedia' }] });
    await createStream(t.kvs, 'rst');
    const pm = await startPutMedia(t.kvs.url, { streamName: 'rst', initial: mkvStream() });
    expect(await pm.status).toBe(-1);
    pm.end();
  });

  test('faults can be managed over HTTP (/_local/faults) and parsed from CLI flags', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'http');
    const add = await request(`${t.kvs.url}/_local/faults`, { method: 'POST', body: JSON.stringify({ kind: 'fail-call', api: 'DescribeStream', error: 'InternalFailure' }) });
    expect(add.statusCode).toBe(200);
    await add.body.dump();
    expect((await postJson(t.kvs.url, '/describeStream', { StreamName: 'http' })).status).toBe(500);
    expect((await postJson(t.kvs.url, '/describeStream', { StreamName: 'http' })).status).toBe(200);
    const bad = await request(`${t.kvs.url}/_local/faults`, { method: 'POST', body: JSON.stringify({ kind: 'explode' }) });
    expect(bad.statusCode).toBe(400);
    await bad.body.dump();
    expect(parseFaultFlag('drop-connection:afterBytes=4096,call=2')).toEqual({ kind: 'drop-connection', afterBytes: 4096, call: 2 });
    expect(parseFaultFlag('fail-call:api=DescribeStream,error=ClientLimitExceeded,times=0')).toEqual({ kind: 'fail-call', api: 'DescribeStream', error: 'ClientLimitExceeded', times: 0 });
    expect(() => parseFaultFlag('drop-connection')).toThrow(/afterBytes or afterFragments/);
    const metrics = await request(`${t.kvs.url}/_local/metrics?stream=http`);
    expect(((await metrics.body.json()) as Record<string, unknown>)['PutMedia.Requests']).toBe(0);
  });

  test('GetMedia allows 3 concurrent connections per stream (ConnectionLimitExceededException)', async () => {
    t = await startTestServer({ getMediaIdleMs: 1500 });
    await createStream(t.kvs, 'gm');
    const open = Array.from({ length: 3 }, () => postJson(t!.kvs.url, '/getMedia', { StreamName: 'gm', StartSelector: { StartSelectorType: 'NOW' } }));
    for (let i = 0; i < 100 && (t.kvs.metrics('gm')['GetMedia.Requests'] as number) < 3; i++) await sleep(10);
    const fourth = await postJson(t.kvs.url, '/getMedia', { StreamName: 'gm', StartSelector: { StartSelectorType: 'NOW' } });
    expect([fourth.status, fourth.headers['x-amzn-errortype']]).toEqual([400, 'ConnectionLimitExceededException']);
    expect((await Promise.all(open)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  test('archived-media quotas: ListFragments spends MaxResults points, GetMediaForFragmentList one per fragment', async () => {
    t = await startTestServer({ limits: { fragmentMetadataQuotaPerSecond: 1500, fragmentMediaQuotaPerSecond: 2 } });
    await createStream(t.kvs, 'q');
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'q' });
    expect((await postJson(t.kvs.url, '/listFragments', { StreamName: 'q' })).status).toBe(200);
    const second = await postJson(t.kvs.url, '/listFragments', { StreamName: 'q' });
    expect([second.status, second.headers['x-amzn-errortype']]).toEqual([400, 'ClientLimitExceededException']);
    const numbers = t.kvs.getFragments('q').map((f) => f.fragmentNumber);
    const three = await postJson(t.kvs.url, '/getMediaForFragmentList', { StreamName: 'q', Fragments: numbers });
    expect([three.status, three.headers['x-amzn-errortype']]).toEqual([400, 'ClientLimitExceededException']);
    expect((await postJson(t.kvs.url, '/getMediaForFragmentList', { StreamName: 'q', Fragments: numbers.slice(0, 2) })).status).toBe(200);
  });
});
