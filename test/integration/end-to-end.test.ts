/**
 * The whole path, for real: gst-launch-1.0 → kvssink (C) → ring → worker → MKV → PutMedia over
 * HTTP into the local KVS endpoint, checked with mkvinfo and ffprobe.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import {
  ffprobeFrameCount, ffprobeStream, gstEnv, gstLaunch, h264TestSource, mkvinfo, tempDir, TEST_ACCESS_KEY,
  TEST_SECRET_KEY,
} from './gst.js';

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('e2e-data') });
});

afterAll(async () => {
  await kvs?.close();
});

function sink(streamName: string, secret = TEST_SECRET_KEY): string {
  return `kvssink stream-name=${streamName} access-key=${TEST_ACCESS_KEY} secret-key=${secret} aws-region=us-west-2`;
}

describe('gst-launch → kvssink → local KVS endpoint', () => {
  it('uploads 300 H.264 frames as 10 fragments that mkvinfo and ffprobe accept', async () => {
    const result = await gstLaunch(`${h264TestSource(300)} ! ${sink('e2e-demo')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }));
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Got EOS from element');

    const fragments = kvs.getFragments('e2e-demo');
    expect(fragments).toHaveLength(10);
    expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(300);
    expect(fragments.every((f) => f.persisted)).toBe(true);
    // Every fragment is playable on its own, as KVS serves it (GetMedia chunks).
    for (const f of fragments) expect(await ffprobeFrameCount(f.file)).toBe(f.frameCount);

    const sessionsDir = join(kvs.dataDir, 'streams', 'e2e-demo', 'sessions');
    const bodies = readdirSync(sessionsDir).filter((n) => n.endsWith('.mkv'));
    expect(bodies).toHaveLength(1);
    const received = join(sessionsDir, bodies[0]!);
    const info = await mkvinfo(received);
    expect(info.ok, info.output.slice(0, 2000)).toBe(true);
    expect(info.output).toContain('V_MPEG4/ISO/AVC');
    expect(await ffprobeFrameCount(received)).toBe(300);
    expect(await ffprobeStream(received)).toMatchObject({ codec_name: 'h264', width: '640', height: '480' });
  });

  it('fails fast with an authentication error when the secret key is wrong, without printing it', async () => {
    const wrongSecret = 'WrongSecretKeyWrongSecretKeyWrongSecret0';
    const started = Date.now();
    const result = await gstLaunch(`${h264TestSource(300)} ! ${sink('e2e-auth', wrongSecret)}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/ERROR: from element .*kvssink0: .*signature.*secret-key/i);
    expect(output).not.toContain(wrongSecret);
    expect(kvs.listStreams().map((st) => st.streamName)).not.toContain('e2e-auth');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('refuses to start with an invalid stream name and says which property is wrong', async () => {
    const result = await gstLaunch(`${h264TestSource(30)} ! kvssink stream-name=bad/name access-key=${TEST_ACCESS_KEY} ` +
      `secret-key=${TEST_SECRET_KEY}`, gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Invalid value "bad\/name" for property "stream-name"/);
  });
});
