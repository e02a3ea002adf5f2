/**
 * PLAYING → NULL without EOS means now, whatever the network does: a real GStreamer app
 * measures the state change, checks that no worker process is left, and reads the bus.
 * The figures are printed; the assertion is the acceptance bound (2 s), not a benchmark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { compileApp, gstEnv, run, tempDir } from './gst.js';

let kvs: LocalKvs;
let app: string;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('stop-data'), fsync: false });
  app = await compileApp('stop-app');
});

afterAll(async () => {
  await kvs?.close();
});

async function stopAfter(stream: string, seconds: number): Promise<{ stopMs: number; children: number; stdout: string }> {
  const result = await run(app, [stream, String(seconds)], { env: gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }) });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  const stopMs = Number(/stop-ms=(\d+)/.exec(result.stdout)?.[1]);
  const children = Number(/children=(-?\d+)/.exec(result.stdout)?.[1]);
  process.stdout.write(`PLAYING->NULL for ${stream}: ${stopMs} ms\n`);
  return { stopMs, children, stdout: result.stdout };
}

describe('PLAYING to NULL without EOS', () => {
  it('mid-fragment on a healthy endpoint: returns in under 2 s, no worker left, the undelivered frames counted', async () => {
    const r = await stopAfter('stop-healthy', 2.5);
    expect(r.stopMs).toBeLessThan(2000);
    expect(r.children).toBe(0);
    expect(r.stdout).toMatch(/WARNING: The pipeline stopped without EOS: \d+ frame\(s\) not yet acknowledged by KVS are not delivered/);
    expect(kvs.getFragments('stop-healthy').length).toBeGreaterThan(0);
  });

  it('while the endpoint hangs (accepts and never answers): under 2 s, no worker left', async () => {
    kvs.faults.add({ kind: 'black-hole', api: 'PutMedia', stream: 'stop-hung', times: 0 });
    const r = await stopAfter('stop-hung', 3);
    expect(r.stopMs).toBeLessThan(2000);
    expect(r.children).toBe(0);
  });

  it('while the endpoint refuses connections: under 2 s, no worker left', async () => {
    kvs.faults.add({ kind: 'reset', api: 'PutMedia', stream: 'stop-refused', times: 0 });
    const r = await stopAfter('stop-refused', 3);
    expect(r.stopMs).toBeLessThan(2000);
    expect(r.children).toBe(0);
  });
});
