/**
 * IoT certificate credentials, for real: gst-launch-1.0 → kvssink with `iot-certificate` → the
 * worker fetches temporary credentials from the local IoT credentials provider over mutual TLS
 * (a CA, a device certificate and key made with openssl for the run) → PutMedia into the local
 * KVS endpoint, which accepts those credentials until they expire.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIotTestCertificates, type IotTestCertificates } from '../../src/local/iot-certificates.js';
import { startLocalIotProvider, type LocalIotLogEntry, type LocalIotProvider } from '../../src/local/iot-provider.js';
import { startLocalKvs, type LocalKvs, type LocalKvsLogEntry } from '../../src/local/server.js';
import { ffprobeFrameCount, gstEnv, gstLaunch, h264TestSource, tempDir } from './gst.js';

let kvs: LocalKvs;
let iot: LocalIotProvider;
let pki: IotTestCertificates;
let other: IotTestCertificates;
const kvsLog: LocalKvsLogEntry[] = [];
const iotLog: LocalIotLogEntry[] = [];

beforeAll(async () => {
  const dir = tempDir('iot');
  [pki, other] = await Promise.all([
    createIotTestCertificates(join(dir, 'pki')),
    createIotTestCertificates(join(dir, 'other'), { caName: 'some other CA', deviceName: 'unregistered device' }),
  ]);
  kvs = await startLocalKvs({ dataDir: join(dir, 'kvs'), log: (e) => kvsLog.push(e) });
  iot = await startLocalIotProvider({
    kvs, certPath: pki.serverCertPath, keyPath: pki.serverKeyPath, clientCaPath: pki.caCertPath,
    log: (e) => iotLog.push(e),
  });
}, 60_000);

afterAll(async () => {
  await iot?.close();
  await kvs?.close();
});

interface IotFields { certPath?: string; keyPath?: string; caPath?: string; roleAlias?: string; extra?: string }

/** The `iot-certificate` property, written as the guide's example writes it. */
function iotCertificate(f: IotFields = {}): string {
  return `iot-certificate="iot-certificate,endpoint=${iot.endpoint},cert-path=${f.certPath ?? pki.deviceCertPath},` +
    `key-path=${f.keyPath ?? pki.deviceKeyPath},ca-path=${f.caPath ?? pki.caCertPath},` +
    `role-aliases=${f.roleAlias ?? 'KvsCameraIoTRoleAlias'}${f.extra ?? ''}"`;
}

/** No keys anywhere: the IoT provider is the only way in. */
const env = (): NodeJS.ProcessEnv => gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url });

describe('iot-certificate', () => {
  it('streams with credentials from the IoT credentials provider, and every frame arrives', async () => {
    const result = await gstLaunch(`${h264TestSource(300)} ! kvssink stream-name=iot-camera ${iotCertificate()}`, env());
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);

    const issued = iotLog.filter((e) => e.event === 'iot-credentials-issued');
    expect(issued.length).toBeGreaterThanOrEqual(1);
    // The thing name defaults to the stream name, as in the guide's example.
    expect(issued[0]).toMatchObject({ roleAlias: 'KvsCameraIoTRoleAlias', thingName: 'iot-camera', device: 'kvssink-local test device' });

    const fragments = kvs.getFragments('iot-camera');
    expect(fragments).toHaveLength(10);
    expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(300);
    let decoded = 0;
    for (const f of fragments) decoded += await ffprobeFrameCount(f.file);
    expect(decoded).toBe(300);
    expect(kvsLog.filter((e) => e.event === 'auth-failed')).toEqual([]);
  });

  it('sends iot-thing-name when given instead of the stream name', async () => {
    const result = await gstLaunch(`${h264TestSource(30)} ! kvssink stream-name=iot-named ` +
      `${iotCertificate({ extra: ',iot-thing-name=front-door-camera' })}`, env());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(iotLog.filter((e) => e.event === 'iot-credentials-issued').at(-1)).toMatchObject({ thingName: 'front-door-camera' });
    expect(kvs.getFragments('iot-named').reduce((n, f) => n + f.frameCount, 0)).toBe(30);
  });
});

describe('iot-certificate failures name their cause', () => {
  async function failing(stream: string, f: IotFields): Promise<string> {
    const result = await gstLaunch(`${h264TestSource(900)} ! kvssink stream-name=${stream} ${iotCertificate(f)}`, env(), 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(kvs.listStreams().map((s) => s.streamName)).not.toContain(stream);
    return result.stdout + result.stderr;
  }

  it('a device certificate the provider does not accept', async () => {
    const output = await failing('iot-wrong-cert', { certPath: other.deviceCertPath, keyPath: other.deviceKeyPath });
    expect(output).toMatch(/ERROR: from element .*kvssink0: The IoT credentials endpoint \S+ closed the connection during the TLS handshake, twice, after being sent the device certificate cert-path \S+other\/device\.crt: it does not accept that certificate/);
  });

  it('a ca-path that did not sign the provider certificate', async () => {
    const output = await failing('iot-wrong-ca', { caPath: other.caCertPath });
    expect(output).toMatch(/ERROR: from element .*kvssink0: The TLS certificate of the IoT credentials endpoint \S+ is not signed by the CA in "iot-certificate" ca-path \S+other\/ca\.crt \(SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('an unknown role alias', async () => {
    const output = await failing('iot-wrong-alias', { roleAlias: 'NoSuchRoleAlias' });
    expect(output).toMatch(/ERROR: from element .*kvssink0: The IoT credentials endpoint \S+ does not know the role alias "NoSuchRoleAlias" \(HTTP 404: "Role alias does not exist"\): set "role-aliases"/);
  });

  it('an endpoint that cannot be reached (an error with restart-on-error=false; otherwise a warning and retries)', async () => {
    const gone = await startLocalIotProvider({ kvs, certPath: pki.serverCertPath, keyPath: pki.serverKeyPath, clientCaPath: pki.caCertPath });
    const endpoint = gone.endpoint;
    await gone.close();
    const property = iotCertificate().replace(`endpoint=${iot.endpoint}`, `endpoint=${endpoint}`);
    const result = await gstLaunch(`${h264TestSource(900)} ! kvssink stream-name=iot-unreachable restart-on-error=false ${property}`, env(), 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`kvssink0: The IoT credentials endpoint ${endpoint} cannot be reached (ECONNREFUSED): check "endpoint" (the credentials endpoint`);
    // With the default restart-on-error the same cause is a warning and the element keeps trying
    // (stopped here by the time limit).
    const live = h264TestSource(900).replace('videotestsrc', 'videotestsrc is-live=true');
    const retrying = await gstLaunch(`${live} ! kvssink stream-name=iot-unreachable ${property}`, env(), 15_000);
    expect(retrying.timedOut).toBe(true);
    expect(retrying.stdout).toMatch(new RegExp(`WARNING: from element .*kvssink0: The IoT credentials endpoint ${endpoint.replace(/\./g, '\\.')} cannot be reached \\(ECONNREFUSED\\)`));
  });

  it('a key file that cannot be read', async () => {
    const output = await failing('iot-no-key', { keyPath: '/nonexistent/private.pem.key' });
    expect(output).toMatch(/ERROR: from element .*kvssink0: "iot-certificate" key-path \/nonexistent\/private\.pem\.key cannot be read \(ENOENT\)/);
  });
});

describe('TLS trust for KVS itself', () => {
  let httpsKvs: LocalKvs;

  beforeAll(async () => {
    httpsKvs = await startLocalKvs({ dataDir: tempDir('iot-https-kvs'), tls: { certPath: pki.serverCertPath, keyPath: pki.serverKeyPath } });
  });

  afterAll(async () => {
    await httpsKvs?.close();
  });

  const keys = 'access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('trusts an endpoint whose CA is added with AWS_CA_BUNDLE', async () => {
    expect(httpsKvs.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const result = await gstLaunch(`${h264TestSource(60)} ! kvssink stream-name=tls-trusted ${keys}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: httpsKvs.url, AWS_CA_BUNDLE: pki.caCertPath }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(httpsKvs.getFragments('tls-trusted').reduce((n, f) => n + f.frameCount, 0)).toBe(60);
  });

  it('refuses it otherwise, naming the certificate that failed and the variable to set', async () => {
    const { AWS_CA_BUNDLE: _a, SSL_CERT_FILE: _s, NODE_EXTRA_CA_CERTS: _n, KVSSINK_CA_CERT_PATH: _k, ...rest } = gstEnv({
      AWS_ENDPOINT_URL_KINESIS_VIDEO: httpsKvs.url });
    const result = await gstLaunch(`${h264TestSource(900)} ! kvssink stream-name=tls-untrusted ${keys}`, rest, 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(new RegExp(`ERROR: from element .*kvssink0: DescribeStream failed: the TLS certificate of ${httpsKvs.url.replace(/\./g, '\\.')} could not be verified \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\\) against Node's bundled CA certificates: set AWS_CA_BUNDLE`));
  });
});
