/**
 * Secrets stay secret: with everything logged (GST_DEBUG=*:9) and every bus message printed
 * (gst-launch -m), neither the secret key, the session token nor the device's private key shows
 * up, and the worker gets none of them on its command line or in its environment.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIotTestCertificates, type IotTestCertificates } from '../../src/local/iot-certificates.js';
import { startLocalIotProvider, type LocalIotProvider } from '../../src/local/iot-provider.js';
import { startLocalKvs, type CredentialSet, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, launch, tempDir, workerPids, type RunResult } from './gst.js';

let dir: string;
let kvs: LocalKvs;
let iot: LocalIotProvider;
let pki: IotTestCertificates;
/** Everything the IoT provider handed out. */
const issued: CredentialSet[] = [];

/** A temporary credential set the local endpoint accepts (as STS would issue). */
const temporary: Required<Omit<CredentialSet, 'expiresAtMs'>> = {
  accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(30).toString('base64'),
  sessionToken: randomBytes(96).toString('base64'),
};

beforeAll(async () => {
  dir = tempDir('secrets');
  pki = await createIotTestCertificates(join(dir, 'pki'));
  kvs = await startLocalKvs({ dataDir: join(dir, 'kvs') });
  kvs.addCredentials(temporary);
  iot = await startLocalIotProvider({
    kvs: { addCredentials: (c) => { issued.push(c); kvs.addCredentials(c); } },
    certPath: pki.serverCertPath, keyPath: pki.serverKeyPath, clientCaPath: pki.caCertPath,
  });
}, 60_000);

afterAll(async () => {
  await iot?.close();
  await kvs?.close();
});

const source = 'videotestsrc is-live=true num-buffers=60 ! video/x-raw,width=160,height=120,framerate=30/1 ! ' +
  'x264enc bframes=0 key-int-max=15 speed-preset=ultrafast ! video/x-h264,stream-format=avc,alignment=au';

interface TracedRun { result: RunResult; workerCmdlines: string[]; workerEnvs: string[] }

/** gst-launch -m with GST_DEBUG=*:9, reading the worker's command line and environment while it runs. */
async function tracedRun(pipeline: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<TracedRun> {
  const env = gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url, GST_DEBUG: '*:9', GST_DEBUG_NO_COLOR: '1', ...extraEnv });
  const run = launch(`-m ${pipeline}`, env, 120_000);
  const workerCmdlines: string[] = [];
  const workerEnvs: string[] = [];
  let finished = false;
  void run.done.then(() => (finished = true));
  while (!finished && workerCmdlines.length === 0) {
    for (const pid of workerPids(run.pid)) {
      try {
        workerCmdlines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
        workerEnvs.push(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      } catch {
        // the worker has just gone
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const result = await run.done;
  expect(result.code, result.stdout.slice(-3000)).toBe(0);
  expect(workerCmdlines.length).toBeGreaterThan(0);
  return { result, workerCmdlines, workerEnvs };
}

/** The base64 body lines of a PEM private key: any of them showing up is a leak. */
function keyLines(pemPath: string): string[] {
  return readFileSync(pemPath, 'utf8').split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
}

/** GStreamer's own pipeline parser logs the gst-launch line it parses (gstparse.c, parse.l). */
const GSTREAMER_PARSER_LINE = /(gstparse\.c|parse\.l|types\.h):\d+:(gst_parse_|priv_gst_parse_)/;

describe('secrets never reach logs, bus messages, or the worker command line and environment', () => {
  it('IoT: neither the issued secret key and token nor the device private key', async () => {
    const iotCertificate = `iot-certificate="iot-certificate,endpoint=${iot.endpoint},cert-path=${pki.deviceCertPath},` +
      `key-path=${pki.deviceKeyPath},ca-path=${pki.caCertPath},role-aliases=KvsCameraIoTRoleAlias"`;
    const before = issued.length;
    const { result, workerCmdlines, workerEnvs } = await tracedRun(`${source} ! kvssink stream-name=secret-iot ${iotCertificate}`);
    const output = result.stdout + result.stderr;
    // The run really was traced and really used IoT credentials.
    expect(output).toMatch(/kvssink .*credentials from iot-certificate/);
    expect(output.length).toBeGreaterThan(1_000_000);
    const fresh = issued.slice(before);
    expect(fresh.length).toBeGreaterThan(0);
    const secrets = [...fresh.flatMap((c) => [c.secretAccessKey, c.sessionToken!]), ...keyLines(pki.deviceKeyPath)];
    for (const text of [output, ...workerCmdlines, ...workerEnvs]) {
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    }
  });

  it('a session token from credential-path or the environment appears nowhere', async () => {
    const path = join(dir, 'credential');
    const expiration = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    writeFileSync(path, `CREDENTIALS ${temporary.accessKeyId} ${expiration} ${temporary.secretAccessKey} ${temporary.sessionToken}\n`);
    const secrets = [temporary.secretAccessKey, temporary.sessionToken];
    const fromFile = await tracedRun(`${source} ! kvssink stream-name=secret-file credential-path=${path}`);
    expect(fromFile.result.stdout + fromFile.result.stderr).toMatch(/credentials from credential-path file/);
    const fromEnv = await tracedRun(`${source} ! kvssink stream-name=secret-env`, {
      AWS_ACCESS_KEY_ID: temporary.accessKeyId, AWS_SECRET_ACCESS_KEY: temporary.secretAccessKey,
      AWS_SESSION_TOKEN: temporary.sessionToken,
    });
    expect(fromEnv.result.stdout + fromEnv.result.stderr).toMatch(/credentials from environment .*with AWS_SESSION_TOKEN/);
    for (const { result, workerCmdlines } of [fromFile, fromEnv]) {
      for (const text of [result.stdout + result.stderr, ...workerCmdlines]) {
        for (const secret of secrets) expect(text.includes(secret)).toBe(false);
      }
    }
    // The worker inherits the environment the user gave the pipeline, and nothing more.
    expect(fromFile.workerEnvs.every((e) => !secrets.some((s) => e.includes(s)))).toBe(true);
  });

  it('keys given as properties: only GStreamer\'s own parser echoes the gst-launch line; kvssink and its worker never do', async () => {
    const { result, workerCmdlines, workerEnvs } = await tracedRun(`${source} ! kvssink stream-name=secret-props ` +
      `access-key=${temporary.accessKeyId} secret-key=${temporary.secretAccessKey} session-token=${temporary.sessionToken}`);
    const secrets = [temporary.secretAccessKey, temporary.sessionToken];
    const leaking = (result.stdout + result.stderr).split('\n').filter((l) => secrets.some((s) => l.includes(s)));
    expect(leaking.length).toBeGreaterThan(0); // why the README says: no secrets on a gst-launch line
    expect(leaking.filter((l) => !GSTREAMER_PARSER_LINE.test(l))).toEqual([]);
    for (const text of [...workerCmdlines, ...workerEnvs]) {
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    }
  });
});
