import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvsError } from '../../../src/aws/errors.js';
import {
  fetchIotCredentials, iotCredentialProvider, iotCredentialsUrl, parseIotCertificate, type IotCertificateSettings,
} from '../../../src/aws/iot-credentials.js';
import { createIotTestCertificates, type IotTestCertificates } from '../../../src/local/iot-certificates.js';
import { startLocalIotProvider, type LocalIotProvider } from '../../../src/local/iot-provider.js';
import type { CredentialSet } from '../../../src/local/sigv4.js';
import { tempDir } from '../../integration/gst.js';

describe('parseIotCertificate', () => {
  const full = 'iot-certificate, endpoint=(string)abc.credentials.iot.us-west-2.amazonaws.com, cert-path=(string)/c/cert.pem, ' +
    'key-path=(string)/c/key.pem, ca-path=(string)"/c/ca dir/ca.pem", role-aliases=(string)KvsCameraIoTRoleAlias;';

  it('reads the structure as gst_structure_to_string writes it, the thing name defaulting to the stream name', () => {
    expect(parseIotCertificate(full, 'camera-1')).toEqual({
      endpoint: 'abc.credentials.iot.us-west-2.amazonaws.com', certPath: '/c/cert.pem', keyPath: '/c/key.pem',
      caPath: '/c/ca dir/ca.pem', roleAlias: 'KvsCameraIoTRoleAlias', thingName: 'camera-1',
      connectionTimeoutMs: 3000, completionTimeoutMs: 5000,
    });
  });

  it('takes iot-thing-name and the two timeouts (strings, as the official element wants, or numbers)', () => {
    const s = parseIotCertificate(full.replace(';', ', iot-thing-name=(string)thing-7, connection-timeout=(string)2, completion-timeout=(int)9;'), 'camera-1');
    expect(s.thingName).toBe('thing-7');
    expect(s.connectionTimeoutMs).toBe(2000);
    expect(s.completionTimeoutMs).toBe(9000);
  });

  it('names the missing keys, and an unknown key', () => {
    expect(() => parseIotCertificate('iot-certificate, endpoint=x, cert-path=/a', 's')).toThrow(/lacks "key-path", "ca-path", "role-aliases"/);
    expect(() => parseIotCertificate(`${full.replace(';', '')}, role-alias=x`, 's')).toThrow(/unknown key "role-alias"/);
  });

  it('refuses a plain-http endpoint and builds the credentials URL from a host name or host:port', () => {
    expect(() => parseIotCertificate(full.replace('endpoint=(string)abc', 'endpoint=(string)http://abc'), 's')).toThrow(/must use TLS/);
    const s = parseIotCertificate(full.replace('abc.credentials.iot.us-west-2.amazonaws.com', '127.0.0.1:8443'), 's');
    expect(iotCredentialsUrl({ ...s, roleAlias: 'a b' }).href).toBe('https://127.0.0.1:8443/role-aliases/a%20b/credentials');
  });
});

describe('iotCredentialProvider caching', () => {
  const settings: IotCertificateSettings = {
    endpoint: 'x', certPath: 'c', keyPath: 'k', caPath: 'a', roleAlias: 'r', thingName: 't',
    connectionTimeoutMs: 1000, completionTimeoutMs: 1000,
  };
  function fakeFetch(clock: { t: number }, lifetimeMs: number): { calls: number; fetch: () => Promise<AwsCredentialIdentity> } {
    const state = { calls: 0, fetch: async (): Promise<AwsCredentialIdentity> => {
      state.calls++;
      return { accessKeyId: `ASIA${state.calls}`, secretAccessKey: 's', sessionToken: 't', expiration: new Date(clock.t + lifetimeMs) };
    } };
    return state;
  }

  it('reuses credentials until half their lifetime (at most 5 min) is left, then fetches new ones', async () => {
    const clock = { t: 1_000_000 };
    const f = fakeFetch(clock, 60_000);
    const provider = iotCredentialProvider(settings, { now: () => clock.t, fetch: f.fetch });
    const first = await provider();
    expect(first.expiration!.getTime()).toBe(1_060_000);
    clock.t += 29_000;
    expect(await provider()).toBe(first);
    clock.t += 2_000;
    const second = await provider();
    expect(second.accessKeyId).toBe('ASIA2');
    expect(f.calls).toBe(2);
  });

  it('fetches on forceRefresh, and shares one request between concurrent calls', async () => {
    const clock = { t: 0 };
    const f = fakeFetch(clock, 3_600_000);
    const provider = iotCredentialProvider(settings, { now: () => clock.t, fetch: f.fetch });
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a).toBe(b);
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('ASIA2');
    expect(f.calls).toBe(2);
  });

  it('keeps valid credentials through a transient failure, and fails once they are expired', async () => {
    const clock = { t: 0 };
    let fail = false;
    const provider = iotCredentialProvider(settings, {
      now: () => clock.t,
      fetch: async () => {
        if (fail) throw new KvsError({ code: 'IOT_ENDPOINT_UNREACHABLE', retriable: true, message: 'down' });
        return { accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't', expiration: new Date(clock.t + 60_000) };
      },
    });
    const first = await provider();
    fail = true;
    clock.t = 45_000;
    expect(await provider()).toBe(first);
    clock.t = 61_000;
    await expect(provider()).rejects.toMatchObject({ code: 'IOT_ENDPOINT_UNREACHABLE' });
  });
});

describe('fetchIotCredentials against the local IoT provider', () => {
  let pki: IotTestCertificates;
  let other: IotTestCertificates;
  let iot: LocalIotProvider;
  const accepted: CredentialSet[] = [];

  beforeAll(async () => {
    const dir = tempDir('iot-unit');
    [pki, other] = await Promise.all([
      createIotTestCertificates(join(dir, 'pki')),
      createIotTestCertificates(join(dir, 'other'), { caName: 'another CA' }),
    ]);
    iot = await startLocalIotProvider({
      kvs: { addCredentials: (c) => accepted.push(c) }, certPath: pki.serverCertPath, keyPath: pki.serverKeyPath,
      clientCaPath: pki.caCertPath, credentialDurationS: 60, thingNames: ['camera-1'],
    });
  }, 60_000);

  afterAll(async () => {
    await iot?.close();
  });

  const settings = (over: Partial<IotCertificateSettings> = {}): IotCertificateSettings => ({
    endpoint: iot.endpoint, certPath: pki.deviceCertPath, keyPath: pki.deviceKeyPath, caPath: pki.caCertPath,
    roleAlias: 'KvsCameraIoTRoleAlias', thingName: 'camera-1', connectionTimeoutMs: 5000, completionTimeoutMs: 5000, ...over,
  });

  it('gets temporary credentials with an expiration, which the KVS side is told about', async () => {
    const creds = await fetchIotCredentials(settings());
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toBeTruthy();
    const left = creds.expiration!.getTime() - Date.now();
    expect(left).toBeGreaterThan(55_000);
    expect(left).toBeLessThanOrEqual(60_000);
    expect(accepted.at(-1)).toMatchObject({ accessKeyId: creds.accessKeyId, expiresAtMs: creds.expiration!.getTime() });
  });

  it('names ca-path when the provider certificate is not signed by it', async () => {
    const err = await fetchIotCredentials(settings({ caPath: other.caCertPath })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IOT_SERVER_CERTIFICATE_UNTRUSTED', retriable: false });
    expect((err as Error).message).toContain(`ca-path ${other.caCertPath}`);
    expect((err as Error).message).toContain(`TLS certificate of the IoT credentials endpoint ${iot.endpoint}`);
  });

  it('names cert-path when the provider rejects the device certificate', async () => {
    const err = await fetchIotCredentials(settings({ certPath: other.deviceCertPath, keyPath: other.deviceKeyPath })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IOT_CERTIFICATE_REJECTED', retriable: false });
    expect((err as Error).message).toContain(`after being sent the device certificate cert-path ${other.deviceCertPath}: it does not accept that certificate`);
  });

  it('says when key-path is not the key of cert-path', async () => {
    const err = await fetchIotCredentials(settings({ keyPath: other.deviceKeyPath })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IOT_KEY_MISMATCH' });
    expect((err as Error).message).toContain(`key-path ${other.deviceKeyPath} is not the private key of cert-path ${pki.deviceCertPath}`);
  });

  it('names an unknown role alias, a refused thing name, and a missing file', async () => {
    await expect(fetchIotCredentials(settings({ roleAlias: 'NoSuchAlias' })))
      .rejects.toMatchObject({ code: 'IOT_ROLE_ALIAS_NOT_FOUND', message: expect.stringContaining('"NoSuchAlias"') });
    await expect(fetchIotCredentials(settings({ thingName: 'camera-2' })))
      .rejects.toMatchObject({ code: 'IOT_FORBIDDEN', message: expect.stringContaining('Invalid thing name passed') });
    await expect(fetchIotCredentials(settings({ keyPath: '/nonexistent/key.pem' })))
      .rejects.toMatchObject({ code: 'IOT_FILE_UNREADABLE', message: expect.stringContaining('key-path /nonexistent/key.pem cannot be read (ENOENT)') });
  });

  it('says the endpoint cannot be reached, naming it, and never shows the key', async () => {
    const closed = await startLocalIotProvider({
      kvs: { addCredentials: () => {} }, certPath: pki.serverCertPath, keyPath: pki.serverKeyPath, clientCaPath: pki.caCertPath,
    });
    const endpoint = closed.endpoint;
    await closed.close();
    const err = await fetchIotCredentials(settings({ endpoint })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IOT_ENDPOINT_UNREACHABLE', retriable: true });
    expect((err as Error).message).toContain(`IoT credentials endpoint ${endpoint} cannot be reached (ECONNREFUSED)`);
    const bad = join(tempDir('iot-badkey'), 'key.pem');
    writeFileSync(bad, 'not a key');
    const e2 = await fetchIotCredentials(settings({ keyPath: bad })).catch((e: unknown) => e);
    expect(JSON.stringify(e2)).not.toContain('not a key');
  });
});
