/**
 * AWS Signature Version 4 verification, written from the algorithm (not from a client
 * library) so that it catches signing bugs in clients. Only the `Authorization` header form
 * is supported (no pre-signed query strings).
 *
 * The canonical request is rebuilt from what the client actually sent: the raw path and
 * query, and the signed headers exactly as received (raw header list, so the Host header is
 * used with or without a port, as the client wrote it).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Common Errors, RequestExpired: "more than 15 minutes" either way. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export type CredentialSet = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch ms after which requests signed with this set are refused (temporary credentials). */
  expiresAtMs?: number;
};

export type SigV4Request = {
  method: string;
  /** Raw request target as received (path and query, still percent-encoded). */
  url: string;
  /** Node's `req.rawHeaders`: [name, value, name, value, ...] as received. */
  rawHeaders: readonly string[];
  /**
   * `body`: the whole body is known (control plane) and is hashed;
   * `streaming`: the body is not read (PutMedia); the payload hash is the
   * `x-amz-content-sha256` header when present, else the hash of the empty string.
   */
  payload: { kind: 'body'; body: Buffer } | { kind: 'streaming' };
};

export type SigV4Options = {
  credentials: readonly CredentialSet[];
  region: string;
  service: string;
  nowMs: number;
  maxSkewMs?: number;
};

export type SigV4Failure = { ok: false; status: number; errorType: string; message: string };
export type SigV4Result = { ok: true; accessKeyId: string; expiresAtMs?: number } | SigV4Failure;

const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
/** What AWS answers for a request signed with temporary credentials past their expiration. */
const EXPIRED_TOKEN_MESSAGE = 'The security token included in the request is expired';

function failure(status: number, errorType: string, message: string): SigV4Failure {
  return { ok: false, status, errorType, message };
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent plus !'()*). */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const leading = rawPath.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  const normalized = `${leading}${segments.join('/')}${trailing}`;
  // Non-S3 services: the (already encoded) path is encoded once more, '/' kept.
  return uriEscape(normalized).replace(/%2F/g, '/') || '/';
}

export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (key.toLowerCase() === 'x-amz-signature') continue;
    pairs.push([uriEscape(key), uriEscape(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Lower-cased header name → values as received (in order). */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

type ParsedAuthorization = { accessKeyId: string; date: string; region: string; service: string; terminator: string; signedHeaders: string[]; signature: string };

function parseAuthorization(header: string): ParsedAuthorization | string {
  if (!header.startsWith(`${SIGV4_ALGORITHM} `)) return `Authorization header must start with '${SIGV4_ALGORITHM}'`;
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return `Authorization header component is not a key=value pair: '${part.trim()}'`;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [!credential && 'Credential', !signedHeaders && 'SignedHeaders', !signature && 'Signature'].filter(Boolean);
  if (missing.length > 0) return `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s)`;
  const scope = credential!.split('/');
  if (scope.length !== 5) return `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`;
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (!/^[0-9a-f]{64}$/.test(signature!)) return 'Signature must be 64 lower-case hex characters';
  return { accessKeyId, date, region, service, terminator, signedHeaders: signedHeaders!.split(';'), signature: signature! };
}

/** ISO 8601 basic (20240102T030405Z) → epoch ms, or NaN. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Builds the canonical request for `req` and the given signed header names and payload hash. */
export function canonicalRequest(req: SigV4Request, headers: Map<string, string[]>, signedHeaders: readonly string[], payloadHash: string): string {
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers.get(name) ?? [])}\n`).join('');
  return [req.method.toUpperCase(), canonicalPath(rawPath), canonicalQuery(rawQuery), canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
}

/** Verifies the request's SigV4 signature. Never includes secrets in messages. */
export function verifySigV4(req: SigV4Request, options: SigV4Options): SigV4Result {
  const headers = headerMap(req.rawHeaders);
  const authorization = headers.get('authorization')?.[0];
  if (!authorization) return failure(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const auth = parseAuthorization(authorization);
  if (typeof auth === 'string') return failure(400, 'IncompleteSignatureException', auth);

  const amzDate = headers.get('x-amz-date')?.[0];
  const dateHeader = headers.get('date')?.[0];
  let requestMs: number;
  let requestDate: string;
  if (amzDate !== undefined) {
    requestMs = parseAmzDate(amzDate);
    requestDate = amzDate;
  } else if (dateHeader !== undefined) {
    requestMs = Date.parse(dateHeader);
    requestDate = Number.isNaN(requestMs) ? dateHeader : formatAmzDate(requestMs);
  } else {
    return failure(400, 'IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (Number.isNaN(requestMs)) return failure(400, 'IncompleteSignatureException', `Unable to parse the request date '${requestDate}'.`);

  const credential = options.credentials.find((c) => c.accessKeyId === auth.accessKeyId);
  if (!credential) return failure(403, 'UnrecognizedClientException', INVALID_TOKEN_MESSAGE);

  if (auth.terminator !== 'aws4_request') return failure(403, 'InvalidSignatureException', "Credential should be scoped with a valid terminator: 'aws4_request'.");
  if (auth.service !== options.service) return failure(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'.`);
  if (auth.region !== options.region) return failure(403, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${auth.region}'.`);
  if (auth.date !== requestDate.slice(0, 8)) {
    return failure(403, 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${requestDate.slice(0, 8)}', from '${requestDate}'.`);
  }

  const maxSkewMs = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  if (Math.abs(options.nowMs - requestMs) > maxSkewMs) {
    const relation = requestMs < options.nowMs ? 'earlier' : 'later';
    return failure(400, 'RequestExpired', `Signature expired: ${formatAmzDate(requestMs)} is now ${relation} than ${formatAmzDate(options.nowMs + (relation === 'earlier' ? -maxSkewMs : maxSkewMs))} (${formatAmzDate(options.nowMs)} ${relation === 'earlier' ? '-' : '+'} 15 min.)`);
  }

  const token = headers.get('x-amz-security-token')?.[0];
  if ((credential.sessionToken ?? undefined) !== token) return failure(403, 'UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
  if (credential.expiresAtMs !== undefined && options.nowMs >= credential.expiresAtMs) {
    return failure(403, 'ExpiredTokenException', EXPIRED_TOKEN_MESSAGE);
  }

  if (!auth.signedHeaders.includes('host')) return failure(403, 'InvalidSignatureException', "'Host' must be a signed header.");
  for (const name of auth.signedHeaders) {
    if (name !== name.toLowerCase() || !headers.has(name)) {
      return failure(403, 'InvalidSignatureException', `${MISMATCH_MESSAGE} (signed header '${name}' is not in the request)`);
    }
  }

  const declared = headers.get('x-amz-content-sha256')?.[0];
  let payloadHash: string;
  if (req.payload.kind === 'streaming') {
    payloadHash = declared ?? EMPTY_PAYLOAD_SHA256;
  } else if (declared !== undefined && declared !== UNSIGNED_PAYLOAD) {
    if (declared !== sha256Hex(req.payload.body)) {
      return failure(400, 'InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payloadHash = declared;
  } else {
    payloadHash = declared ?? sha256Hex(req.payload.body);
  }

  const creq = canonicalRequest(req, headers, auth.signedHeaders, payloadHash);
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, requestDate, scope, sha256Hex(creq)].join('\n');
  const expected = createHmac('sha256', signingKey(credential.secretAccessKey, auth.date, auth.region, auth.service)).update(stringToSign, 'utf8').digest();
  const provided = Buffer.from(auth.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return failure(403, 'InvalidSignatureException', MISMATCH_MESSAGE);
  }
  return credential.expiresAtMs === undefined
    ? { ok: true, accessKeyId: credential.accessKeyId }
    : { ok: true, accessKeyId: credential.accessKeyId, expiresAtMs: credential.expiresAtMs };
}
