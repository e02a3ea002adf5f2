import { describe, expect, test } from 'vitest';
import { EMPTY_PAYLOAD_SHA256, formatAmzDate, verifySigV4, type SigV4Options, type SigV4Request } from '../../../src/local/sigv4.js';
import { ACCESS_KEY, REGION, SECRET_KEY, signRequest } from './helpers.js';

const URL_BASE = 'http://127.0.0.1:4567';
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const OPTIONS: SigV4Options = {
  credentials: [
    { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    { accessKeyId: 'ASIATEMP', secretAccessKey: 'tempsecret', sessionToken: 'the-token' },
  ],
  region: REGION,
  service: 'kinesisvideo',
  nowMs: NOW,
};

function raw(headers: Record<string, string>): string[] {
  return Object.entries(headers).flatMap(([k, v]) => [k, v]);
}

async function controlRequest(body: string, sign: Parameters<typeof signRequest>[1] = {}): Promise<SigV4Request> {
  const headers = await signRequest(`${URL_BASE}/describeStream`, { body, headers: { 'content-type': 'application/json' }, signingDate: new Date(NOW), ...sign });
  return { method: 'POST', url: '/describeStream', rawHeaders: raw(headers), payload: { kind: 'body', body: Buffer.from(body) } };
}

describe('verifySigV4', () => {
  test('accepts a control-plane request signed by @smithy/signature-v4', async () => {
    const req = await controlRequest('{"StreamName":"a"}');
    expect(verifySigV4(req, OPTIONS)).toEqual({ ok: true, accessKeyId: ACCESS_KEY });
  });

  test('accepts a request signed with x-amz-content-sha256 present', async () => {
    const body = '{"StreamName":"a"}';
    const headers = await signRequest(`${URL_BASE}/describeStream`, { body, signingDate: new Date(NOW) });
    // Let the signer add the header by signing a request that already carries it.
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(body).digest('hex');
    const withHash = await signRequest(`${URL_BASE}/describeStream`, { body, headers: { 'x-amz-content-sha256': hash }, signingDate: new Date(NOW) });
    expect(verifySigV4({ method: 'POST', url: '/describeStream', rawHeaders: raw(withHash), payload: { kind: 'body', body: Buffer.from(body) } }, OPTIONS).ok).toBe(true);
    expect(headers['x-amz-content-sha256']).toBeUndefined();
  });

  test('rejects a wrong secret with InvalidSignatureException and the AWS message', async () => {
    const req = await controlRequest('{}', { secretAccessKey: 'not-the-secret' });
    const r = verifySigV4(req, OPTIONS);
    expect(r).toMatchObject({ ok: false, status: 403, errorType: 'InvalidSignatureException' });
    expect(!r.ok && r.message).toContain('The request signature we calculated does not match the signature you provided');
  });

  test('rejects a body that differs from the signed one', async () => {
    const req = await controlRequest('{"StreamName":"a"}');
    const r = verifySigV4({ ...req, payload: { kind: 'body', body: Buffer.from('{"StreamName":"b"}') } }, OPTIONS);
    expect(r).toMatchObject({ ok: false, errorType: 'InvalidSignatureException' });
  });

  test('accepts temporary credentials until they expire, then refuses them with 403 ExpiredTokenException', async () => {
    const temp = { accessKeyId: 'ASIAEXPIRING', secretAccessKey: 'tempsecret2', sessionToken: 'token-2', expiresAtMs: NOW + 1000 };
    const options = { ...OPTIONS, credentials: [...OPTIONS.credentials, temp] };
    const req = await controlRequest('{}', temp);
    expect(verifySigV4(req, options)).toEqual({ ok: true, accessKeyId: 'ASIAEXPIRING', expiresAtMs: NOW + 1000 });
    const r = verifySigV4(req, { ...options, nowMs: NOW + 1000 });
    expect(r).toMatchObject({ ok: false, status: 403, errorType: 'ExpiredTokenException' });
    expect(!r.ok && r.message).toBe('The security token included in the request is expired');
  });

  test('rejects a date more than 15 minutes off with RequestExpired (400)', async () => {
    const old = await controlRequest('{}', { signingDate: new Date(NOW - 16 * 60 * 1000) });
    expect(verifySigV4(old, OPTIONS)).toMatchObject({ ok: false, status: 400, errorType: 'RequestExpired' });
    const future = await controlRequest('{}', { signingDate: new Date(NOW + 16 * 60 * 1000) });
    expect(verifySigV4(future, OPTIONS)).toMatchObject({ ok: false, status: 400, errorType: 'RequestExpired' });
    const within = await controlRequest('{}', { signingDate: new Date(NOW - 14 * 60 * 1000) });
    expect(verifySigV4(within, OPTIONS).ok).toBe(true);
  });

  test('rejects a missing Authorization header with MissingAuthenticationTokenException', () => {
    const r = verifySigV4({ method: 'POST', url: '/describeStream', rawHeaders: ['host', '127.0.0.1:4567'], payload: { kind: 'body', body: Buffer.alloc(0) } }, OPTIONS);
    expect(r).toMatchObject({ ok: false, status: 403, errorType: 'MissingAuthenticationTokenException' });
  });

  test('rejects a malformed Authorization header with IncompleteSignatureException', () => {
    const r = verifySigV4(
      { method: 'POST', url: '/x', rawHeaders: ['host', 'h', 'authorization', 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-west-2/kinesisvideo/aws4_request', 'x-amz-date', formatAmzDate(NOW)], payload: { kind: 'body', body: Buffer.alloc(0) } },
      OPTIONS,
    );
    expect(r).toMatchObject({ ok: false, status: 400, errorType: 'IncompleteSignatureException' });
  });

  test('rejects an unknown access key with UnrecognizedClientException', async () => {
    const req = await controlRequest('{}', { accessKeyId: 'AKIAUNKNOWN' });
    expect(verifySigV4(req, OPTIONS)).toMatchObject({ ok: false, status: 403, errorType: 'UnrecognizedClientException' });
  });

  test('requires the configured region and the kinesisvideo service in the scope', async () => {
    const wrongRegion = await controlRequest('{}', { region: 'eu-west-1' });
    const r1 = verifySigV4(wrongRegion, OPTIONS);
    expect(r1).toMatchObject({ ok: false, status: 403, errorType: 'InvalidSignatureException' });
    expect(!r1.ok && r1.message).toContain("not 'eu-west-1'");
    const wrongService = await controlRequest('{}', { service: 'kinesis' });
    expect(verifySigV4(wrongService, OPTIONS)).toMatchObject({ ok: false, errorType: 'InvalidSignatureException' });
  });

  test('checks the session token of temporary credentials', async () => {
    const good = await controlRequest('{}', { accessKeyId: 'ASIATEMP', secretAccessKey: 'tempsecret', sessionToken: 'the-token' });
    expect(verifySigV4(good, OPTIONS).ok).toBe(true);
    const wrong = await controlRequest('{}', { accessKeyId: 'ASIATEMP', secretAccessKey: 'tempsecret', sessionToken: 'other-token' });
    expect(verifySigV4(wrong, OPTIONS)).toMatchObject({ ok: false, errorType: 'UnrecognizedClientException' });
    const missing = await controlRequest('{}', { accessKeyId: 'ASIATEMP', secretAccessKey: 'tempsecret' });
    expect(verifySigV4(missing, OPTIONS)).toMatchObject({ ok: false, errorType: 'UnrecognizedClientException' });
  });

  test('uses the Host header exactly as sent (the official producer omits the port)', async () => {
    const headers = await signRequest('http://127.0.0.1:4567/putMedia', { headers: { host: '127.0.0.1', 'x-amzn-stream-name': 's' }, streaming: true, signingDate: new Date(NOW) });
    expect(headers.host).toBe('127.0.0.1');
    const req: SigV4Request = { method: 'POST', url: '/putMedia', rawHeaders: raw(headers), payload: { kind: 'streaming' } };
    expect(verifySigV4(req, OPTIONS).ok).toBe(true);
    // The same signature does not verify if the server assumed host:port.
    const rewritten = raw({ ...headers, host: '127.0.0.1:4567' });
    expect(verifySigV4({ ...req, rawHeaders: rewritten }, OPTIONS).ok).toBe(false);
  });

  test('accepts PutMedia signed over the empty payload, with or without x-amz-content-sha256', async () => {
    const without = await signRequest(`${URL_BASE}/putMedia`, { headers: { 'x-amzn-stream-name': 's' }, streaming: true, signingDate: new Date(NOW) });
    expect(verifySigV4({ method: 'POST', url: '/putMedia', rawHeaders: raw(without), payload: { kind: 'streaming' } }, OPTIONS).ok).toBe(true);
    const withHeader = await signRequest(`${URL_BASE}/putMedia`, { headers: { 'x-amzn-stream-name': 's', 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 }, streaming: true, signingDate: new Date(NOW) });
    expect(verifySigV4({ method: 'POST', url: '/putMedia', rawHeaders: raw(withHeader), payload: { kind: 'streaming' } }, OPTIONS).ok).toBe(true);
  });

  test('rejects a signed header that was dropped in transit', async () => {
    const headers = await signRequest(`${URL_BASE}/putMedia`, { headers: { 'x-amzn-stream-name': 's' }, streaming: true, signingDate: new Date(NOW) });
    const { ['x-amzn-stream-name']: _dropped, ...rest } = headers;
    expect(verifySigV4({ method: 'POST', url: '/putMedia', rawHeaders: raw(rest), payload: { kind: 'streaming' } }, OPTIONS)).toMatchObject({ ok: false, errorType: 'InvalidSignatureException' });
  });
});
