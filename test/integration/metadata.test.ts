/**
 * The official kvs-add-metadata event, sent by a real GStreamer application, becomes MKV
 * fragment metadata that the endpoint stores with the next fragment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { compileApp, gstEnv, run, tempDir } from './gst.js';

let kvs: LocalKvs;
let app: string;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('metadata-data'), activationDelayMs: 0 });
  app = await compileApp('metadata-app');
});

afterAll(async () => {
  await kvs?.close();
});

describe('kvs-add-metadata', () => {
  it('reaches KVS as metadata of the next fragment', async () => {
    const result = await run(app, ['metadata-stream'], { env: gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }) });
    expect(result.code, result.stderr).toBe(0);
    const fragments = kvs.getFragments('metadata-stream');
    expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(90);
    const tagged = fragments.filter((f) => f.metadata?.some(([k, v]) => k === 'camera-zone' && v === 'loading-dock'));
    // Not persistent: it goes out once, with the fragment that follows the event.
    expect(tagged).toHaveLength(1);
    expect(tagged[0]).not.toBe(fragments[0]);
  });
});
