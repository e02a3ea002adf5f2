/**
 * Credentials from the AWS IoT credentials provider (guide: "Controlling Access to Kinesis Video
 * Streams Resources Using AWS IoT"): `GET https://<endpoint>/role-aliases/<alias>/credentials`
 * over mutual TLS with the device certificate, header `x-amzn-iot-thingname`, answer
 * `{"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}`.
 *
 * The `iot-certificate` property is a GstStructure, as in the official element:
 * `iot-certificate,endpoint=…,cert-path=…,key-path=…,ca-path=…,role-aliases=…[,iot-thing-name=…]
 * [,connection-timeout=…][,completion-timeout=…]` (timeouts in seconds, default 3 and 5).
 *
 * Every failure names its cause: which file, which certificate, which alias, which endpoint.
 * The key file's content and the credentials never appear in a message or a log line.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest } from 'node:http';
import { isIP } from 'node:net';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { KvsError, isKvsError, maskAccessKeyId, sanitizeMessage, type LogFn } from './errors.js';
import { parseGstStructure } from './gst-structure.js';
import { readCaCertificates, tlsFailureSide } from './tls-trust.js';

/** The official element's IoT timeouts (KvsSinkUtil.cpp), in seconds. */
export const IOT_CONNECTION_TIMEOUT_S = 3;
export const IOT_COMPLETION_TIMEOUT_S = 5;
/** Refresh this long before expiry at most (the AWS SDKs' 5 minutes)… */
export const IOT_REFRESH_MARGIN_MS = 5 * 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

const REQUIRED_KEYS = ['endpoint', 'cert-path', 'key-path', 'ca-path', 'role-aliases'] as const;
const OPTIONAL_KEYS = ['iot-thing-name', 'connection-timeout', 'completion-timeout'] as const;

export interface IotCertificateSettings {
  /** Host name of the account's credentials endpoint (`aws iot describe-endpoint --endpoint-type iot:CredentialProvider`), `host:port`, or an https URL. */
  endpoint: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  roleAlias: string;
  /** `iot-thing-name`, else the stream name. */
  thingName: string;
  connectionTimeoutMs: number;
  completionTimeoutMs: number;
}

function invalid(message: string): KvsError {
  return new KvsError({ code: 'IOT_CERTIFICATE_INVALID', retriable: false, message });
}

/** Parses the `iot-certificate` structure; throws `IOT_CERTIFICATE_INVALID` naming the key. */
export function parseIotCertificate(text: string, streamName: string): IotCertificateSettings {
  const expected = `expected "iot-certificate,endpoint=<credentials endpoint>,cert-path=<certificate.pem>,key-path=<private.pem.key>,ca-path=<CA.pem>,role-aliases=<role alias>" with optional iot-thing-name, connection-timeout and completion-timeout`;
  let s;
  try {
    s = parseGstStructure(text);
  } catch (err) {
    throw invalid(`"iot-certificate" cannot be parsed (${(err as Error).message}): ${expected}.`);
  }
  for (const key of s.fields.keys()) {
    if (!(REQUIRED_KEYS as readonly string[]).includes(key) && !(OPTIONAL_KEYS as readonly string[]).includes(key)) {
      throw invalid(`"iot-certificate" has an unknown key "${key}": ${expected}.`);
    }
  }
  const missing = REQUIRED_KEYS.filter((k) => !s.fields.get(k));
  if (missing.length > 0) throw invalid(`"iot-certificate" lacks ${missing.map((k) => `"${k}"`).join(', ')}: ${expected}.`);
  const seconds = (key: string, def: number): number => {
    const raw = s.fields.get(key);
    if (raw === undefined || raw === '') return def * 1000;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw invalid(`"iot-certificate" key "${key}" must be a whole number of seconds, got "${raw}".`);
    return n * 1000;
  };
  const endpoint = s.fields.get('endpoint')!;
  if (/^http:\/\//i.test(endpoint)) {
    throw invalid(`"iot-certificate" endpoint "${endpoint}" must use TLS: give the host name (or https://host).`);
  }
  return {
    endpoint,
    certPath: s.fields.get('cert-path')!,
    keyPath: s.fields.get('key-path')!,
    caPath: s.fields.get('ca-path')!,
    roleAlias: s.fields.get('role-aliases')!,
    thingName: s.fields.get('iot-thing-name') || streamName,
    connectionTimeoutMs: seconds('connection-timeout', IOT_CONNECTION_TIMEOUT_S),
    completionTimeoutMs: seconds('completion-timeout', IOT_COMPLETION_TIMEOUT_S),
  };
}

/** `https://host[:port]/role-aliases/<alias>/credentials`. */
export function iotCredentialsUrl(settings: IotCertificateSettings): URL {
  const base = /^https:\/\//i.test(settings.endpoint) ? settings.endpoint : `https://${settings.endpoint}`;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw invalid(`"iot-certificate" endpoint "${settings.endpoint}" is not a host name: use the value of "aws iot describe-endpoint --endpoint-type iot:CredentialProvider".`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/role-aliases/${encodeURIComponent(settings.roleAlias)}/credentials`;
  return url;
}

interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: string[];
}

function readTlsMaterial(s: IotCertificateSettings): TlsMaterial {
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new KvsError({
        code: 'IOT_FILE_UNREADABLE', retriable: false,
        message: `"iot-certificate" ${key} ${path} cannot be read (${(err as { code?: string }).code ?? 'error'}): check that the file exists and that this process may read it.`,
      });
    }
  };
  const cert = read('cert-path', s.certPath);
  const key = read('key-path', s.keyPath);
  let ca: string[];
  try {
    ca = readCaCertificates(s.caPath, '"iot-certificate" ca-path');
  } catch (err) {
    if (isKvsError(err) && err.code === 'CA_CERTIFICATES_UNREADABLE') {
      throw new KvsError({ code: 'IOT_FILE_UNREADABLE', retriable: false, message: err.message });
    }
    throw err;
  }
  return { cert, key, ca };
}

function endpointName(s: IotCertificateSettings): string {
  return `IoT credentials endpoint ${s.endpoint}`;
}

/** A TLS or socket failure of the credentials request, as a KvsError naming the cause. */
function transportFailure(s: IotCertificateSettings, err: unknown): KvsError {
  const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
  const reason = sanitizeMessage(err instanceof Error ? err.message : String(err));
  const where = endpointName(s);
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /key values mismatch/i.test(reason)) {
    return new KvsError({
      code: 'IOT_KEY_MISMATCH', retriable: false, detail: code,
      message: `"iot-certificate" key-path ${s.keyPath} is not the private key of cert-path ${s.certPath}: give the key that was created with this certificate.`,
    });
  }
  if (/^ERR_OSSL_(PEM|ASN1|UNSUPPORTED|DECODER)|^ERR_OSSL_X509/.test(code) || /PEM|no start line|bad decrypt|unsupported/i.test(reason) && !/alert/i.test(reason)) {
    return new KvsError({
      code: 'IOT_CERTIFICATE_INVALID', retriable: false, detail: `${code} ${reason}`,
      message: `"iot-certificate" cert-path ${s.certPath} or key-path ${s.keyPath} is not a PEM certificate / unencrypted PEM private key (${code}).`,
    });
  }
  const side = tlsFailureSide(code);
  if (side === 'server-certificate') {
    const hostname = code === 'ERR_TLS_CERT_ALTNAME_INVALID';
    return new KvsError({
      code: 'IOT_SERVER_CERTIFICATE_UNTRUSTED', retriable: false, detail: `${code} ${reason}`,
      message: hostname
        ? `The TLS certificate of the ${where} is not valid for that host name (${code}): set "endpoint" to the credentials endpoint host name.`
        : `The TLS certificate of the ${where} is not signed by the CA in "iot-certificate" ca-path ${s.caPath} (${code}: ${reason}): set ca-path to the CA that issued it (for AWS IoT, Amazon Root CA 1: https://www.amazontrust.com/repository/AmazonRootCA1.pem).`,
    });
  }
  if (side === 'client-certificate') {
    return new KvsError({
      code: 'IOT_CERTIFICATE_REJECTED', retriable: false, detail: `${code} ${reason}`,
      message: `The ${where} rejected the device certificate cert-path ${s.certPath} (${code}): use the certificate registered with AWS IoT, make sure it is ACTIVE and that its CA is registered, and give its own key as key-path.`,
    });
  }
  const timeout = code === 'IOT_CONNECT_TIMEOUT' || code === 'IOT_COMPLETION_TIMEOUT';
  return new KvsError({
    code: 'IOT_ENDPOINT_UNREACHABLE', retriable: true, detail: `${code} ${reason}`,
    message: `The ${where} ${timeout ? `did not answer in time (${reason})` : `cannot be reached (${code})`}: check "endpoint" (the credentials endpoint from "aws iot describe-endpoint --endpoint-type iot:CredentialProvider", not the data endpoint) and the network.`,
  });
}

function httpFailure(s: IotCertificateSettings, status: number, body: string): KvsError {
  let message = '';
  try {
    const j = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const m = j.message ?? j.Message;
    if (typeof m === 'string') message = sanitizeMessage(m);
  } catch {
    message = sanitizeMessage(body.slice(0, 200));
  }
  const said = message ? `: "${message}"` : '';
  const where = endpointName(s);
  const detail = `HTTP ${status}${message ? ` ${message}` : ''}`;
  if (status === 404) {
    return new KvsError({
      code: 'IOT_ROLE_ALIAS_NOT_FOUND', retriable: false, httpStatus: status, detail,
      message: `The ${where} does not know the role alias "${s.roleAlias}" (HTTP 404${said}): set "role-aliases" to an alias from "aws iot list-role-aliases".`,
    });
  }
  if (status === 401) {
    return new KvsError({
      code: 'IOT_CERTIFICATE_REJECTED', retriable: false, httpStatus: status, detail,
      message: `The ${where} did not accept the device certificate cert-path ${s.certPath} (HTTP 401${said}): use the certificate registered with AWS IoT and make sure it is ACTIVE.`,
    });
  }
  if (status === 403) {
    return new KvsError({
      code: 'IOT_FORBIDDEN', retriable: false, httpStatus: status, detail,
      message: `The ${where} refused credentials for role alias "${s.roleAlias}" and thing "${s.thingName}" (HTTP 403${said}): the thing must be attached to the certificate (set iot-thing-name if it is not the stream name), and the certificate's IoT policy must allow iot:AssumeRoleWithCertificate on the role alias.`,
    });
  }
  const retriable = status === 429 || status >= 500;
  return new KvsError({
    code: retriable ? 'IOT_UNAVAILABLE' : 'IOT_REQUEST_FAILED', retriable, httpStatus: status, detail,
    message: `The ${where} answered HTTP ${status}${said}${retriable ? '; retrying' : ''}.`,
  });
}

const ISO_EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function parseCredentials(s: IotCertificateSettings, body: string): AwsCredentialIdentity {
  const bad = (why: string): KvsError => new KvsError({
    code: 'IOT_BAD_RESPONSE', retriable: true,
    message: `The ${endpointName(s)} answered without usable credentials (${why}); retrying.`,
  });
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw bad('not JSON');
  }
  const c = (doc as { credentials?: Record<string, unknown> } | null)?.credentials;
  if (!c || typeof c !== 'object') throw bad('no "credentials" object');
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = c;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || typeof sessionToken !== 'string'
    || !accessKeyId || !secretAccessKey || !sessionToken) {
    throw bad('accessKeyId, secretAccessKey or sessionToken missing');
  }
  if (typeof expiration !== 'string' || !ISO_EXPIRATION.test(expiration) || Number.isNaN(Date.parse(expiration))) {
    throw bad('no valid "expiration" time');
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(Date.parse(expiration)) };
}

/**
 * One credentials request (no caching). Rejects with a KvsError naming the cause.
 *
 * A server that refuses the device certificate may just close the connection during the TLS
 * handshake instead of sending an alert (Node's own TLS server does). A connection that is
 * reset there twice in a row is taken to be that refusal: a network fault seldom strikes at the
 * same point twice.
 */
export async function fetchIotCredentials(s: IotCertificateSettings): Promise<AwsCredentialIdentity> {
  try {
    return await requestIotCredentials(s);
  } catch (err) {
    if (!isKvsError(err) || err.code !== HANDSHAKE_RESET) throw err;
  }
  try {
    return await requestIotCredentials(s);
  } catch (err) {
    if (!isKvsError(err) || err.code !== HANDSHAKE_RESET) throw err;
    throw new KvsError({
      code: 'IOT_CERTIFICATE_REJECTED', retriable: false, detail: err.detail ?? err.code,
      message: `The ${endpointName(s)} closed the connection during the TLS handshake, twice, after being sent the device certificate cert-path ${s.certPath}: it does not accept that certificate. Use the certificate registered with AWS IoT, make sure it is ACTIVE and that its CA is registered, and give its own key as key-path.`,
    });
  }
}

const HANDSHAKE_RESET = 'IOT_HANDSHAKE_RESET';

function requestIotCredentials(s: IotCertificateSettings): Promise<AwsCredentialIdentity> {
  let url: URL;
  let tls: TlsMaterial;
  try {
    url = iotCredentialsUrl(s);
    tls = readTlsMaterial(s);
  } catch (err) {
    return Promise.reject(err);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (err: KvsError | undefined, creds?: AwsCredentialIdentity): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      req?.destroy();
      if (err) reject(err);
      else resolve(creds!);
    };
    const timeout = (code: string, what: string, ms: number): NodeJS.Timeout => setTimeout(
      () => finish(transportFailure(s, Object.assign(new Error(`no ${what} within ${ms} ms`), { code }))), ms);
    let req: ClientRequest;
    try {
      req = httpsRequest({
        host, port: url.port || 443, method: 'GET', path: `${url.pathname}${url.search}`, agent: false,
        headers: { 'x-amzn-iot-thingname': s.thingName, accept: 'application/json' },
        cert: tls.cert, key: tls.key, ca: tls.ca, ...(isIP(host) ? {} : { servername: host }),
      });
    } catch (err) {
      // The TLS context is built here: a key that does not match the certificate fails at once.
      reject(transportFailure(s, err));
      return;
    }
    timers.push(timeout('IOT_COMPLETION_TIMEOUT', 'answer', s.completionTimeoutMs));
    let tcpConnected = false;
    let answered = false;
    req.on('socket', (sock) => {
      const connectTimer = timeout('IOT_CONNECT_TIMEOUT', 'connection', s.connectionTimeoutMs);
      timers.push(connectTimer);
      sock.once('connect', () => (tcpConnected = true));
      sock.once('secureConnect', () => clearTimeout(connectTimer));
    });
    req.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (tcpConnected && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) {
        finish(new KvsError({ code: HANDSHAKE_RESET, retriable: true, detail: `${code} ${sanitizeMessage(err.message)}`,
          message: `The ${endpointName(s)} closed the connection before answering (${code}).` }));
        return;
      }
      finish(transportFailure(s, err));
    });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) parts.push(c);
      });
      res.on('error', (err) => finish(transportFailure(s, err)));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status !== 200) return finish(httpFailure(s, status, body));
        try {
          finish(undefined, parseCredentials(s, body));
        } catch (err) {
          finish(err as KvsError);
        }
      });
    });
    req.end();
  });
}

export interface IotCredentialOptions {
  log?: LogFn;
  /** Clock, ms since epoch (tests). */
  now?: () => number;
  /** Upper bound of the refresh margin (default 5 min); the margin is also at most half the credentials' lifetime. */
  refreshMarginMs?: number;
  /** Replaces the HTTPS request (tests of the caching). */
  fetch?: (s: IotCertificateSettings) => Promise<AwsCredentialIdentity>;
}

/**
 * A provider of IoT credentials. They are cached and fetched again once they are within the
 * refresh margin of their expiration: min(5 min, half their lifetime), so that 1-hour
 * credentials are renewed 5 minutes early and 60-second ones 30 seconds early. Concurrent
 * calls share one request. `{ forceRefresh: true }` (the AWS SDK's identity property) fetches
 * new ones regardless. A transient failure while the cached credentials are still valid returns
 * those, with a warning; anything else rejects with the KvsError naming the cause.
 */
export function iotCredentialProvider(settings: IotCertificateSettings, opts: IotCredentialOptions = {}): AwsCredentialIdentityProvider {
  const now = opts.now ?? Date.now;
  const maxMargin = opts.refreshMarginMs ?? IOT_REFRESH_MARGIN_MS;
  const fetch = opts.fetch ?? fetchIotCredentials;
  let cached: { creds: AwsCredentialIdentity; refreshAtMs: number } | undefined;
  let inflight: Promise<AwsCredentialIdentity> | undefined;

  const refresh = (): Promise<AwsCredentialIdentity> => (inflight ??= (async () => {
    try {
      const fetchedMs = now();
      const creds = Object.freeze(await fetch(settings));
      const expiresMs = creds.expiration!.getTime();
      if (expiresMs <= now()) {
        throw new KvsError({
          code: 'IOT_CREDENTIALS_EXPIRED', retriable: true,
          message: `The ${endpointName(settings)} issued credentials that expired at ${creds.expiration!.toISOString()}: check the system clock (NTP).`,
        });
      }
      const margin = Math.min(maxMargin, (expiresMs - fetchedMs) / 2);
      cached = { creds, refreshAtMs: expiresMs - margin };
      opts.log?.('debug', `IoT credentials ${maskAccessKeyId(creds.accessKeyId)} for thing "${settings.thingName}" via role alias "${settings.roleAlias}", expiring ${creds.expiration!.toISOString()}`);
      return creds;
    } finally {
      inflight = undefined;
    }
  })());

  return async (identityProperties?: Record<string, unknown>) => {
    const force = identityProperties?.forceRefresh === true;
    if (!force && cached && now() < cached.refreshAtMs) return cached.creds;
    try {
      return await refresh();
    } catch (err) {
      const e = isKvsError(err) ? err : transportFailure(settings, err);
      const stillValid = cached && cached.creds.expiration!.getTime() > now();
      if (e.retriable && stillValid) {
        opts.log?.('warn', `${e.message} The current IoT credentials stay in use until ${cached!.creds.expiration!.toISOString()}.`);
        return cached!.creds;
      }
      throw e;
    }
  };
}
