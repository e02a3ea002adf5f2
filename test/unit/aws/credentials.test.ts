import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fileCredentialProvider,
  parseCredentialFile,
  resolveCredentialProvider,
} from '../../../src/aws/credentials.js';
import { KvsError } from '../../../src/aws/errors.js';
import { kvsRejection } from './kvs-rejection.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

const dir = mkdtempSync(join(tmpdir(), 'kvssink-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function credFile(content: string): string {
  const p = join(dir, `cred-${fileNo++}`);
  writeFileSync(p, content);
  return p;
}

function thrown(fn: () => unknown): KvsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KvsError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const noChain = () => async () => {
  throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
};

describe('resolveCredentialProvider order', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV1', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_SESSION_TOKEN: 'envtoken' };

  it('uses the properties when access-key and secret-key are both set, without mixing in AWS_SESSION_TOKEN', async () => {
    const r = resolveCredentialProvider({ accessKey: AKID, secretKey: SECRET }, env);
    expect(r.source).toBe('properties');
    expect(await r.provider()).toEqual({ accessKeyId: AKID, secretAccessKey: SECRET });
    expect(r.description).toBe('properties (AKIA…MPLE)');
    const withToken = resolveCredentialProvider({ accessKey: AKID, secretKey: SECRET, sessionToken: TOKEN }, env);
    expect(await withToken.provider()).toEqual({ accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: TOKEN });
  });

  it('fails with INCOMPLETE_CREDENTIALS naming the missing property', () => {
    const e1 = thrown(() => resolveCredentialProvider({ accessKey: AKID }, env));
    expect(e1).toMatchObject({ code: 'INCOMPLETE_CREDENTIALS', retriable: false });
    expect(e1.message).toMatch(/"access-key" is set but "secret-key" is not/);
    const e2 = thrown(() => resolveCredentialProvider({ secretKey: SECRET, accessKey: '' }, env));
    expect(e2.message).toMatch(/"secret-key" is set but "access-key" is not/);
    expect(e2.message).not.toContain(SECRET);
  });

  it('uses the environment next, with AWS_SESSION_TOKEN', async () => {
    const r = resolveCredentialProvider({ credentialPath: credFile(`CREDENTIALS ${AKID} ${SECRET}`) }, env);
    expect(r.source).toBe('environment');
    expect(await r.provider()).toEqual({ accessKeyId: 'AKIAENVENVENVENVENV1', secretAccessKey: 'envsecret', sessionToken: 'envtoken' });
    const half = thrown(() => resolveCredentialProvider({}, { AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV1' }));
    expect(half.code).toBe('INCOMPLETE_CREDENTIALS');
    expect(half.message).toMatch(/AWS_SECRET_ACCESS_KEY/);
  });

  it('uses the credential-path file next, only if it exists', async () => {
    const path = credFile(`CREDENTIALS\t${AKID}\t${SECRET}\n`);
    const r = resolveCredentialProvider({ credentialPath: path }, {});
    expect(r.source).toBe('credential-file');
    expect(await r.provider()).toEqual({ accessKeyId: AKID, secretAccessKey: SECRET });
    const missing = resolveCredentialProvider({ credentialPath: join(dir, 'nope') }, {}, { chainFactory: noChain });
    expect(missing.source).toBe('chain');
  });

  it('falls back to the standard chain and explains every way to provide credentials when it finds none', async () => {
    const r = resolveCredentialProvider({}, {}, { chainFactory: noChain });
    expect(r.source).toBe('chain');
    const e = await kvsRejection(r.provider());
    expect(e.code).toBe('NO_CREDENTIALS');
    for (const hint of ['access-key', 'secret-key', 'credential-path', 'AWS_ACCESS_KEY_ID', '~/.aws', 'instance role']) {
      expect(e.message).toContain(hint);
    }
  });

  it('returns what the chain resolves', async () => {
    const r = resolveCredentialProvider({}, {}, { chainFactory: () => async () => ({ accessKeyId: AKID, secretAccessKey: SECRET }) });
    expect(await r.provider()).toEqual({ accessKeyId: AKID, secretAccessKey: SECRET });
  });

  it('bounds the chain lookup in time', async () => {
    const r = resolveCredentialProvider({}, {}, { chainTimeoutMs: 20, chainFactory: () => () => new Promise(() => {}) });
    const e = await kvsRejection(r.provider());
    expect(e.code).toBe('NO_CREDENTIALS');
    expect(e.message).toMatch(/did not answer within 20 ms/);
  });
});

describe('credential-path file format', () => {
  it('parses the static form with any whitespace', () => {
    expect(parseCredentialFile(`  CREDENTIALS   ${AKID}\t\t${SECRET}\r\n`)).toEqual({ accessKeyId: AKID, secretAccessKey: SECRET });
  });

  it('parses the temporary form: access key, expiration, secret, session token', () => {
    expect(parseCredentialFile(`CREDENTIALS ${AKID} 2030-01-02T03:04:05Z ${SECRET} ${TOKEN}`)).toEqual({
      accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: TOKEN, expiration: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
    });
  });

  it('rejects other shapes with a message that names the format and hides the content', () => {
    for (const bad of ['', `CREDS ${AKID} ${SECRET}`, `CREDENTIALS ${SECRET}`, `CREDENTIALS ${AKID} 2030-13-45 ${SECRET} ${TOKEN}`,
      `CREDENTIALS ${AKID} 2030-02-30T00:00:00Z ${SECRET} ${TOKEN}`, `CREDENTIALS a b c d e f`]) {
      const e = thrown(() => parseCredentialFile(bad, 'credential-path /x'));
      expect(e.code).toBe('CREDENTIAL_FILE_INVALID');
      expect(e.message).toContain('CREDENTIALS <access_key_id>');
      expect(e.message).not.toContain(SECRET);
      expect(e.message).not.toContain(TOKEN);
    }
  });
});

describe('fileCredentialProvider', () => {
  it('caches until the file changes (mtime)', async () => {
    const path = credFile(`CREDENTIALS ${AKID} ${SECRET}`);
    const provider = fileCredentialProvider(path);
    const first = await provider();
    expect(await provider()).toBe(first);
    writeFileSync(path, `CREDENTIALS AKIANEWNEWNEWNEWNEW1 newsecret`);
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    expect(await provider()).toEqual({ accessKeyId: 'AKIANEWNEWNEWNEWNEW1', secretAccessKey: 'newsecret' });
  });

  it('re-reads the file when the cached credentials are within 38 s of expiry', async () => {
    let now = Date.UTC(2030, 0, 1, 0, 0, 0);
    const path = credFile(`CREDENTIALS ${AKID} 2030-01-01T00:10:00Z ${SECRET} ${TOKEN}`);
    const fixed = new Date(Date.UTC(2029, 0, 1));
    utimesSync(path, fixed, fixed);
    const provider = fileCredentialProvider(path, { now: () => now });
    const first = await provider();
    expect(first.expiration).toEqual(new Date(Date.UTC(2030, 0, 1, 0, 10, 0)));
    now += 9 * 60_000; // 60 s left: still fresh
    expect(await provider()).toBe(first);
    // Same mtime and size: rewrite with a later expiration of equal length, then restore the mtime.
    writeFileSync(path, `CREDENTIALS ${AKID} 2030-01-01T00:50:00Z ${SECRET} ${TOKEN}`);
    utimesSync(path, fixed, fixed);
    now += 30_000; // 30 s left (< 38 s): re-read
    const second = await provider();
    expect(second).not.toBe(first);
    expect(second.expiration).toEqual(new Date(Date.UTC(2030, 0, 1, 0, 50, 0)));
  });

  it('refuses expired credentials with a retriable error that does not show the secret', async () => {
    const path = credFile(`CREDENTIALS ${AKID} 2020-01-01T00:00:00Z ${SECRET} ${TOKEN}`);
    const e = await kvsRejection(fileCredentialProvider(path)());
    expect(e).toMatchObject({ code: 'CREDENTIALS_EXPIRED', retriable: true });
    expect(e.message).toContain('AKIA…MPLE');
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain(AKID);
  });

  it('reports an unreadable file as retriable', async () => {
    const e = await kvsRejection(fileCredentialProvider(join(dir, 'missing'))());
    expect(e).toMatchObject({ code: 'CREDENTIAL_FILE_UNREADABLE', retriable: true });
  });
});

describe('iot-certificate and refresh', () => {
  const iot = 'iot-certificate, endpoint=(string)abc.credentials.iot.us-west-2.amazonaws.com, cert-path=(string)/c/cert.pem, ' +
    'key-path=(string)/c/key.pem, ca-path=(string)/c/ca.pem, role-aliases=(string)KvsCameraIoTRoleAlias;';

  it('uses iot-certificate before keys given as properties or in the environment, as the official element does', () => {
    const r = resolveCredentialProvider({ iotCertificate: iot, streamName: 'cam', accessKey: AKID, secretKey: SECRET },
      { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: SECRET });
    expect(r.source).toBe('iot-certificate');
    expect(r.description).toBe('iot-certificate (abc.credentials.iot.us-west-2.amazonaws.com, role alias "KvsCameraIoTRoleAlias", thing "cam")');
  });

  it('refuses an iot-certificate without its required keys at once, naming them', () => {
    expect(thrown(() => resolveCredentialProvider({ iotCertificate: 'iot-certificate, endpoint=x', streamName: 'cam' }, {})))
      .toMatchObject({ code: 'IOT_CERTIFICATE_INVALID', message: expect.stringContaining('"cert-path", "key-path", "ca-path", "role-aliases"') });
  });

  it('re-reads the credential file on forceRefresh even when it has not changed', async () => {
    const exp = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const path = credFile(`CREDENTIALS ${AKID} ${exp} ${SECRET} ${TOKEN}`);
    const provider = fileCredentialProvider(path);
    const first = await provider();
    expect(first.expiration?.toISOString().replace(/\.\d{3}Z$/, 'Z')).toBe(exp);
    expect(await provider()).toBe(first);
    const forced = await provider({ forceRefresh: true });
    expect(forced).not.toBe(first);
    expect(forced).toEqual(first);
  });
});
