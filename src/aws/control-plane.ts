/**
 * Control plane: DescribeStream / CreateStream / GetDataEndpoint as SigV4-signed REST-JSON
 * calls (`POST <endpoint>/<operation>`, JSON in and out), with explicit timeouts, a bounded
 * retry like the SDK's standard strategy, and every failure mapped to a KvsError (errors.ts).
 *
 * Why not `@aws-sdk/client-kinesis-video`: it is ~0.1 CPU-s of module loading and middleware
 * set-up at every worker start for three small calls. Failures are raised in the SDK's shape
 * (`name` = the service's error type, `$metadata.httpStatusCode` / `requestId`), so the mapping
 * below and in `sdkError()` is the one the SDK client had.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { KvsError, isKvsError, isNetworkError, normalizeErrorType, sdkError, signedAsFromHeaders, type LogFn,
  type SignedAs } from './errors.js';
import { validateEndpointUrl } from './endpoint.js';
import { NodeSha256 } from './sha256.js';
import { kvsTrustFromProcessEnv, serverCertificateError, tlsFailureSide, type TlsTrust } from './tls-trust.js';

export interface ControlPlaneClientOptions {
  region: string;
  /** From `resolveControlPlaneEndpoint()`. */
  endpoint: string;
  credentials: AwsCredentialIdentityProvider;
  /** Added to the `user-agent` header (`user-agent` property). */
  userAgent?: string;
  /** TCP/TLS connect timeout, ms (`connection-timeout`, default 5000). */
  connectTimeoutMs?: number;
  /** Whole-request timeout, ms (`completion-timeout`, default 10000). */
  requestTimeoutMs?: number;
  /** Attempts per call, including the first (default 3, as the SDK's standard retry strategy). */
  maxAttempts?: number;
  /** Roots that verify an https endpoint (default: resolveKvsTrust() of the worker's environment). */
  trust?: TlsTrust;
}

export const CONTROL_PLANE_CONNECT_TIMEOUT_MS = 5_000;
export const CONTROL_PLANE_REQUEST_TIMEOUT_MS = 10_000;
export const CONTROL_PLANE_MAX_ATTEMPTS = 3;
/** The SDK's standard retry: full-jitter backoff, 100 ms base (500 ms when throttled), 20 s cap. */
const RETRY_BASE_MS = 100;
const THROTTLED_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Error types the SDK's standard retry strategy treats as throttling (retried). */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded',
  'BandwidthLimitExceeded', 'LimitExceededException', 'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete',
]);
const TRANSIENT_ERRORS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

export type ControlPlaneOperation = 'DescribeStream' | 'CreateStream' | 'GetDataEndpoint' | 'TagStream';

/** A failed call, in the shape of an AWS SDK v3 service exception (what `sdkError()` reads). */
export class ControlPlaneServiceError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  readonly $fault: 'client' | 'server';
  /** How the request was signed, for telling auth failures apart. */
  signedAs?: SignedAs;

  constructor(name: string, message: string, httpStatusCode: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$metadata = requestId ? { httpStatusCode, requestId } : { httpStatusCode };
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
  }
}

/** The control-plane client: one keep-alive connection pool, signed JSON calls. */
export class ControlPlaneClient {
  readonly #opts: ControlPlaneClientOptions;
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #signer: SignatureV4;
  readonly #userAgent: string;
  readonly #trust: TlsTrust | undefined;
  #destroyed = false;

  constructor(opts: ControlPlaneClientOptions) {
    this.#opts = opts;
    this.#url = new URL(validateEndpointUrl(opts.endpoint, 'control-plane endpoint'));
    // Certificates are always verified, against the chosen roots (tls-trust.ts).
    this.#trust = this.#url.protocol === 'https:' ? opts.trust ?? kvsTrustFromProcessEnv() : undefined;
    this.#agent = this.#trust
      ? new HttpsAgent({ keepAlive: true, ...(this.#trust.secureContext ? { secureContext: this.#trust.secureContext } : {}) })
      : new HttpAgent({ keepAlive: true });
    this.#signer = new SignatureV4({
      service: 'kinesisvideo', region: opts.region, credentials: opts.credentials, sha256: NodeSha256,
      applyChecksum: false,
    });
    this.#userAgent = opts.userAgent ? `${opts.userAgent} kvssink/0.1.0` : 'kvssink/0.1.0';
  }

  /**
   * Call `operation` with `input`; resolves with the parsed JSON output. Rejects with a
   * `ControlPlaneServiceError` (HTTP error), the Node network error, a `TimeoutError`, or an
   * `AbortError`, after up to `maxAttempts` tries for retriable ones.
   */
  async send<T>(operation: ControlPlaneOperation, input: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const attempts = Math.max(1, this.#opts.maxAttempts ?? CONTROL_PLANE_MAX_ATTEMPTS);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#once(operation, input, signal)) as T;
      } catch (err) {
        const retry = retryBase(err);
        if (retry === undefined || attempt >= attempts || signal?.aborted || this.#destroyed) throw err;
        await delay(Math.floor(Math.min(MAX_RETRY_DELAY_MS, Math.random() * 2 ** attempt * retry)), signal);
      }
    }
  }

  /** Close pooled connections; later calls fail. */
  destroy(): void {
    this.#destroyed = true;
    this.#agent.destroy();
  }

  async #once(operation: ControlPlaneOperation, input: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    if (this.#destroyed) throw Object.assign(new Error('the control-plane client was destroyed'), { code: 'UND_ERR_DESTROYED' });
    const url = this.#url;
    const path = `${url.pathname.replace(/\/+$/, '')}/${operation.charAt(0).toLowerCase()}${operation.slice(1)}`;
    const body = JSON.stringify(input);
    const unsigned = new HttpRequest({
      method: 'POST', protocol: url.protocol, hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path,
      headers: {
        host: url.host, 'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const signed = await this.#signer.sign(unsigned);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v);
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({
        protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || undefined,
        method: 'POST', path, headers, agent: this.#agent,
      });
      const fail = (err: Error): void => {
        clearTimeout(connectTimer);
        clearTimeout(requestTimer);
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      };
      const onAbort = (): void => fail(Object.assign(new Error(`${operation} was aborted`), { name: 'AbortError' }));
      const connectTimeoutMs = this.#opts.connectTimeoutMs || CONTROL_PLANE_CONNECT_TIMEOUT_MS;
      let connectTimer: NodeJS.Timeout | undefined;
      req.on('socket', (socket) => {
        if (!socket.connecting) return; // reused keep-alive connection
        connectTimer = setTimeout(() => fail(timeoutError(`Connection timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      const requestTimeoutMs = this.#opts.requestTimeoutMs || CONTROL_PLANE_REQUEST_TIMEOUT_MS;
      const requestTimer = setTimeout(() => fail(timeoutError(`${operation} timed out after ${requestTimeoutMs} ms`)), requestTimeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: Error) => {
        const code = (err as { code?: unknown }).code;
        if (this.#trust && typeof code === 'string' && tlsFailureSide(code) === 'server-certificate') {
          fail(serverCertificateError({
            operation, target: url.origin, code, reason: err.message, trust: this.#trust,
          }));
        } else {
          fail(err);
        }
      });
      req.on('response', (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) parts.push(c);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(connectTimer);
          clearTimeout(requestTimer);
          signal?.removeEventListener('abort', onAbort);
          const text = Buffer.concat(parts).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            if (text.trim() !== '') json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = {};
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json);
          const header = (n: string): string | undefined => {
            const v = res.headers[n];
            return typeof v === 'string' ? v : undefined;
          };
          const type = normalizeErrorType(header('x-amzn-errortype') ?? str(json.__type) ?? str(json.code))
            ?? (status >= 500 ? 'InternalFailure' : 'UnknownError');
          const message = str(json.message) ?? str(json.Message) ?? (text.trim().startsWith('{') ? '' : text.slice(0, 300));
          const failure = new ControlPlaneServiceError(type, message, status, header('x-amzn-requestid') ?? header('x-amz-request-id'));
          failure.signedAs = signedAsFromHeaders(headers);
          reject(failure);
        });
      });
      req.end(body);
    });
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

/** Backoff base for a retriable failure (the SDK's standard strategy), undefined when not retriable. */
function retryBase(err: unknown): number | undefined {
  if (isKvsError(err)) return undefined;
  if (err instanceof ControlPlaneServiceError) {
    if (THROTTLING_ERRORS.has(err.name)) return THROTTLED_RETRY_BASE_MS;
    if (TRANSIENT_ERRORS.has(err.name) || TRANSIENT_STATUS.has(err.$metadata.httpStatusCode)) return RETRY_BASE_MS;
    return undefined;
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return undefined;
  return name === 'TimeoutError' || isNetworkError(err) ? RETRY_BASE_MS : undefined;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Build the control-plane client. Call `client.destroy()` when the stream stops. */
export function createControlPlaneClient(opts: ControlPlaneClientOptions): ControlPlaneClient {
  return new ControlPlaneClient(opts);
}

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export interface PrepareStreamOptions {
  client: ControlPlaneClient;
  streamName: string;
  /** `allow-create-stream`. */
  allowCreate: boolean;
  /** `retention-period`, hours (0 = no persistence). */
  retentionHours: number;
  /** e.g. `video/h264` or `video/h264,audio/aac`. */
  mediaType?: string;
  /** `stream-tags` (at most 50). */
  tags?: Record<string, string>;
  /** KMS key for a created stream (default: the KVS-managed key). */
  kmsKeyId?: string;
  signal?: AbortSignal;
  log?: LogFn;
  /** Wait for ACTIVE at most this long, ms (default 30000, the PIC's stream-ready timeout). */
  readyTimeoutMs?: number;
  /** First poll delay, ms (default 250); doubles up to `maxPollIntervalMs` (default 2000). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Clock for the deadline (tests). */
  now?: () => number;
}

export interface PreparedStream {
  streamArn: string;
  status: StreamStatus;
  /** true when this call created the stream. */
  created: boolean;
  /** DataRetentionInHours as described (0: no PERSISTED acks will come). */
  retentionHours?: number;
}

export const STREAM_READY_TIMEOUT_MS = 30_000;

interface DescribeStreamOutput {
  StreamInfo?: { StreamARN?: string; Status?: string; DataRetentionInHours?: number };
}

/**
 * Make sure the stream exists and is ACTIVE: DescribeStream; if it does not exist and
 * `allowCreate`, CreateStream (retention, media type, tags) and poll DescribeStream with
 * backoff until ACTIVE (bounded by `readyTimeoutMs`, abortable by `signal`).
 *
 * Errors (rejections are KvsError): `STREAM_NOT_FOUND` when it does not exist and creation is
 * not allowed; `STREAM_DELETING` when it is being deleted; `STREAM_NOT_READY` (retriable) when
 * it does not become ACTIVE in time; `ABORTED` when `signal` fires; SDK errors mapped by
 * `sdkError` (auth / permission / invalid argument: not retriable; throttling, 5xx, network:
 * retriable).
 */
export async function prepareStream(opts: PrepareStreamOptions): Promise<PreparedStream> {
  const { client, streamName, signal } = opts;
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.readyTimeoutMs ?? STREAM_READY_TIMEOUT_MS);
  let delay = opts.pollIntervalMs ?? 250;
  const maxDelay = opts.maxPollIntervalMs ?? 2_000;
  let created = false;

  const describe = async (): Promise<{ arn: string; status: StreamStatus; retentionHours?: number } | 'not-found'> => {
    try {
      const out = await client.send<DescribeStreamOutput>('DescribeStream', { StreamName: streamName }, signal);
      const info = out.StreamInfo;
      if (!info?.StreamARN || !info.Status) {
        throw new KvsError({
          code: 'INVALID_DESCRIBE_RESPONSE', retriable: true,
          message: `DescribeStream for "${streamName}" returned no StreamARN/Status.`,
        });
      }
      return { arn: info.StreamARN, status: info.Status as StreamStatus, retentionHours: info.DataRetentionInHours };
    } catch (err) {
      if (isNotFound(err)) return 'not-found';
      throw toKvs(err, 'DescribeStream', streamName, signal);
    }
  };

  let current = await describe();
  if (current === 'not-found') {
    if (!opts.allowCreate) {
      throw new KvsError({
        code: 'STREAM_NOT_FOUND', retriable: false, httpStatus: 404, awsErrorType: 'ResourceNotFoundException',
        message: `Stream "${streamName}" does not exist: create it (aws kinesisvideo create-stream --stream-name ${streamName} --data-retention-in-hours 2) or set allow-create-stream=true.`,
      });
    }
    log('info', `stream "${streamName}" not found; creating it (retention ${opts.retentionHours} h${opts.mediaType ? `, ${opts.mediaType}` : ''})`);
    try {
      await client.send('CreateStream', {
        StreamName: streamName,
        DataRetentionInHours: opts.retentionHours,
        ...(opts.mediaType ? { MediaType: opts.mediaType } : {}),
        ...(opts.tags && Object.keys(opts.tags).length > 0 ? { Tags: opts.tags } : {}),
        ...(opts.kmsKeyId ? { KmsKeyId: opts.kmsKeyId } : {}),
      }, signal);
      created = true;
    } catch (err) {
      // Someone else created it between our describe and create: use theirs.
      if (!(isErrName(err, 'ResourceInUseException'))) throw toKvs(err, 'CreateStream', streamName, signal);
      log('debug', `CreateStream "${streamName}": already exists (ResourceInUseException); describing again`);
    }
    current = await describe();
  }

  for (;;) {
    if (current === 'not-found') {
      // Eventual consistency right after CreateStream: keep polling.
      log('debug', `stream "${streamName}" not visible yet after CreateStream`);
    } else if (current.status === 'ACTIVE') {
      return { streamArn: current.arn, status: current.status, created, retentionHours: current.retentionHours };
    } else if (current.status === 'DELETING') {
      throw new KvsError({
        code: 'STREAM_DELETING', retriable: false,
        message: `Stream "${streamName}" is being deleted: wait until the deletion finishes and restart (it is re-created when allow-create-stream=true), or use another stream-name.`,
      });
    } else {
      log('debug', `stream "${streamName}" is ${current.status}; waiting for ACTIVE`);
    }
    if (now() + delay > deadline) {
      throw new KvsError({
        code: 'STREAM_NOT_READY', retriable: true,
        message: `Stream "${streamName}" did not become ACTIVE within ${opts.readyTimeoutMs ?? STREAM_READY_TIMEOUT_MS} ms (last status: ${current === 'not-found' ? 'not found' : current.status}).`,
      });
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, maxDelay);
    current = await describe();
  }
}

export interface GetPutMediaEndpointOptions {
  client: ControlPlaneClient;
  streamName: string;
  signal?: AbortSignal;
}

/**
 * GetDataEndpoint with APIName PUT_MEDIA. Returns the endpoint URL without a trailing slash;
 * PutMedia goes to `<endpoint>/putMedia` ("the returned endpoint does not have the API name
 * appended", guide L7714). The service caches it for ~45 min; re-fetch on InvalidEndpoint.
 */
export async function getPutMediaEndpoint(opts: GetPutMediaEndpointOptions): Promise<string> {
  let out;
  try {
    out = await opts.client.send<{ DataEndpoint?: string }>('GetDataEndpoint',
      { StreamName: opts.streamName, APIName: 'PUT_MEDIA' }, opts.signal);
  } catch (err) {
    throw toKvs(err, 'GetDataEndpoint', opts.streamName, opts.signal);
  }
  if (!out.DataEndpoint) {
    throw new KvsError({
      code: 'INVALID_DATA_ENDPOINT', retriable: true,
      message: `GetDataEndpoint for "${opts.streamName}" returned no DataEndpoint.`,
    });
  }
  try {
    return validateEndpointUrl(out.DataEndpoint, 'GetDataEndpoint DataEndpoint');
  } catch (err) {
    throw new KvsError({ ...(err as KvsError).toJSON(), code: 'INVALID_DATA_ENDPOINT', retriable: false });
  }
}

function isErrName(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}

function isNotFound(err: unknown): boolean {
  return isErrName(err, 'ResourceNotFoundException');
}

function toKvs(err: unknown, op: string, streamName: string, signal?: AbortSignal): KvsError {
  if (isKvsError(err)) return err;
  if (signal?.aborted) return new KvsError({ code: 'ABORTED', retriable: false, message: `${op} was cancelled.` });
  return sdkError(err, op, streamName);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new KvsError({ code: 'ABORTED', retriable: false, message: 'Waiting for the stream to become ACTIVE was cancelled.' }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new KvsError({ code: 'ABORTED', retriable: false, message: 'Waiting for the stream to become ACTIVE was cancelled.' }));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
