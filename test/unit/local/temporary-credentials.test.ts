import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../../src/local/server.js';
import { tempDir } from '../../integration/gst.js';
import { createStream, mkvStream, postJson, putMediaAll } from './helpers.js';

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('temp-creds'), fsync: false });
  await createStream(kvs, 'temp', 1);
});

afterAll(async () => {
  await kvs?.close();
});

function until(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now()) + 5));
}

describe('temporary credentials (addCredentials with expiresAtMs)', () => {
  test('are accepted by the control plane and PutMedia until they expire, then refused with 403 ExpiredTokenException', async () => {
    const set = { accessKeyId: 'ASIATEMPORARY0001', secretAccessKey: 'temporary-secret', sessionToken: 'temporary-token', expiresAtMs: Date.now() + 1500 };
    kvs.addCredentials(set);
    const sign = { accessKeyId: set.accessKeyId, secretAccessKey: set.secretAccessKey, sessionToken: set.sessionToken };
    expect((await postJson(kvs.url, '/listStreams', {}, sign)).status).toBe(200);
    const ok = await putMediaAll(kvs.url, mkvStream(), { streamName: 'temp', sign });
    expect(ok.status).toBe(200);
    await until(set.expiresAtMs);
    const refused = await postJson(kvs.url, '/listStreams', {}, sign);
    expect(refused.status).toBe(403);
    expect(refused.headers['x-amzn-errortype']).toBe('ExpiredTokenException');
    expect(refused.json()).toMatchObject({ message: 'The security token included in the request is expired' });
    const pm = await putMediaAll(kvs.url, mkvStream(), { streamName: 'temp', sign });
    expect(pm.status).toBe(403);
  });
});
