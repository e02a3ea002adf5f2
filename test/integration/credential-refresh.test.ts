/**
 * Credentials that expire every 60 s, on a 3-minute live stream, with real pipelines into the
 * local endpoint (which refuses any request signed with expired credentials, 403
 * ExpiredTokenException): from the IoT credentials provider, and from a credential-path file
 * that an outside process rewrites. The stream must arrive whole, nothing refused, with new
 * PutMedia sessions on fresh credentials before the old ones expire.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIotTestCertificates, type IotTestCertificates } from '../../src/local/iot-certificates.js';
import { startLocalIotProvider, type LocalIotLogEntry, type LocalIotProvider } from '../../src/local/iot-provider.js';
import { startLocalKvs, type FragmentInfo, type LocalKvs, type LocalKvsLogEntry } from '../../src/local/server.js';
import { gstEnv, gstLaunch, tempDir } from './gst.js';

const CREDENTIAL_LIFETIME_S = 60;
const STREAM_S = 180;
const FPS = 30;
const FRAMES = STREAM_S * FPS;

let dir: string;
let kvs: LocalKvs;
let iot: LocalIotProvider;
let pki: IotTestCertificates;
const kvsLog: LocalKvsLogEntry[] = [];
const iotLog: LocalIotLogEntry[] = [];

beforeAll(async () => {
  dir = tempDir('refresh');
  pki = await createIotTestCertificates(join(dir, 'pki'));
  kvs = await startLocalKvs({ dataDir: join(dir, 'kvs'), log: (e) => kvsLog.push(e) });
  iot = await startLocalIotProvider({
    kvs, certPath: pki.serverCertPath, keyPath: pki.serverKeyPath, clientCaPath: pki.caCertPath,
    credentialDurationS: CREDENTIAL_LIFETIME_S, log: (e) => iotLog.push(e),
  });
}, 60_000);

afterAll(async () => {
  await iot?.close();
  await kvs?.close();
});

/** A live 3-minute source, small and quick to encode (the machine is shared). */
const source = `videotestsrc is-live=true num-buffers=${FRAMES} ! video/x-raw,width=320,height=240,framerate=${FPS}/1 ! ` +
  'x264enc bframes=0 key-int-max=30 speed-preset=ultrafast tune=zerolatency ! video/x-h264,stream-format=avc,alignment=au,profile=baseline';

const env = (): NodeJS.ProcessEnv => gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url });

/** Every frame once, every fragment once, each starting where the previous one ended. */
function expectWholeStream(stream: string): FragmentInfo[] {
  const fragments = kvs.getFragments(stream).sort((a, b) => a.fragmentTimecode - b.fragmentTimecode);
  expect(new Set(fragments.map((f) => f.fragmentTimecode)).size).toBe(fragments.length);
  expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(FRAMES);
  for (let i = 1; i < fragments.length; i++) {
    const gap = fragments[i]!.fragmentTimecode - (fragments[i - 1]!.fragmentTimecode + fragments[i - 1]!.durationMs);
    expect(Math.abs(gap), `gap before fragment ${i}`).toBeLessThanOrEqual(34);
  }
  return fragments;
}

/** Sessions as the endpoint logged them: each on credentials that had not expired, none refused. */
function expectSessionsOnFreshCredentials(stream: string): LocalKvsLogEntry[] {
  const starts = kvsLog.filter((e) => e.event === 'put-media-start' && e.stream === stream);
  const ends = kvsLog.filter((e) => e.event === 'put-media-end' && e.stream === stream);
  // 180 s on 60 s credentials, rotated before each expiry: at least one new session a minute.
  expect(starts.length).toBeGreaterThanOrEqual(STREAM_S / CREDENTIAL_LIFETIME_S + 1);
  expect(new Set(starts.map((e) => e.credentialsExpireAt)).size).toBeGreaterThanOrEqual(STREAM_S / CREDENTIAL_LIFETIME_S + 1);
  expect(ends.filter((e) => e.outlivedCredentials !== false)).toEqual([]);
  expect(kvsLog.filter((e) => e.stream === stream && /rejected|auth-failed|error-ack/.test(String(e.event)))).toEqual([]);
  return starts;
}

describe.concurrent('credentials that expire every 60 s on a 3-minute stream', () => {
  it('IoT: fetched again before they expire, with a new PutMedia session on each', async () => {
    const stream = 'refresh-iot';
    const iotCertificate = `iot-certificate="iot-certificate,endpoint=${iot.endpoint},cert-path=${pki.deviceCertPath},` +
      `key-path=${pki.deviceKeyPath},ca-path=${pki.caCertPath},role-aliases=KvsCameraIoTRoleAlias"`;
    const result = await gstLaunch(`${source} ! kvssink stream-name=${stream} ${iotCertificate}`, env(), (STREAM_S + 120) * 1000);
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/WARNING|ERROR/);
    const fragments = expectWholeStream(stream);
    const starts = expectSessionsOnFreshCredentials(stream);
    expect(new Set(fragments.map((f) => f.session)).size).toBe(starts.length);
    expect(iotLog.filter((e) => e.event === 'iot-credentials-issued' && e.thingName === stream).length)
      .toBeGreaterThanOrEqual(STREAM_S / CREDENTIAL_LIFETIME_S + 1);
  }, (STREAM_S + 180) * 1000);

  it('credential-path: the rewritten file is read again, with a new PutMedia session on each', async () => {
    const stream = 'refresh-file';
    const path = join(dir, 'credential');
    // What an outside refresher does: every 20 s, new temporary keys that expire 60 s later,
    // written to a temporary file and renamed over the old one.
    const rewrite = (): void => {
      const expiresAtMs = Math.floor(Date.now() / 1000) * 1000 + CREDENTIAL_LIFETIME_S * 1000;
      const set = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(64).toString('base64'),
        expiresAtMs,
      };
      kvs.addCredentials(set);
      const expiration = new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      writeFileSync(`${path}.tmp`, `CREDENTIALS\t${set.accessKeyId}\t${expiration}\t${set.secretAccessKey}\t${set.sessionToken}\n`);
      renameSync(`${path}.tmp`, path);
    };
    rewrite();
    const refresher = setInterval(rewrite, 20_000);
    try {
      const result = await gstLaunch(`${source} ! kvssink stream-name=${stream} credential-path=${path}`, env(), (STREAM_S + 120) * 1000);
      expect(result.timedOut).toBe(false);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/WARNING|ERROR/);
    } finally {
      clearInterval(refresher);
    }
    const fragments = expectWholeStream(stream);
    const starts = expectSessionsOnFreshCredentials(stream);
    expect(new Set(fragments.map((f) => f.session)).size).toBe(starts.length);
  }, (STREAM_S + 180) * 1000);
});
