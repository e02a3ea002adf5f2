/**
 * Independent SigV4 verification for tests: recomputes the canonical request, string to sign and
 * signature with node:crypto from what the server received (no @smithy code involved).
 */
import { createHash, createHmac } from 'node:crypto';

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
}

const sha256hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();

export interface SigV4Check {
  valid: boolean;
  accessKeyId: string;
  scope: string;
  signedHeaders: string[];
  canonicalRequest: string;
}

/** Verify `authorization` against `secretAccessKey`, assuming the empty-payload hash. */
export function verifySigV4(req: ReceivedRequest, secretAccessKey: string, payloadHash = createHash('sha256').update('').digest('hex')): SigV4Check {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new Error(`malformed authorization header`);
  const [, accessKeyId, date, region, service, signedHeadersList, signature] = m as unknown as string[];
  const signedHeaders = signedHeadersList!.split(';');
  const canonicalHeaders = signedHeaders
    .map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [req.method, req.path, '', canonicalHeaders, signedHeadersList, payloadHash].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${secretAccessKey}`, date!);
  const kRegion = hmac(kDate, region!);
  const kService = hmac(kRegion, service!);
  const kSigning = hmac(kService, 'aws4_request');
  const expected = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  return { valid: expected === signature, accessKeyId: accessKeyId!, scope, signedHeaders, canonicalRequest };
}
