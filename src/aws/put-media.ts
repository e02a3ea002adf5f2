/**
 * PutMedia session: one long-running, SigV4-signed `POST <data-endpoint>/putMedia` with a
 * chunked request body (the MKV stream) that is written while the response (HTTP 200, then
 * newline-separated ACK objects) is read on the same HTTP/1.1 connection (full duplex).
 *
 * Transport: a small HTTP/1.1 client on node:net / node:tls (https always verifies the
 * certificate, against the roots of tls-trust.ts; http:// is for local endpoints), one
 * connection per session. The request head
 * goes out as soon as the connection is up; the response is parsed by http1-response.ts
 * independently of the writer, so the 200 and ACKs arrive while the body is still open.
 *
 * Writing (the hot path): `write()` only queues the chunk. Everything queued in the same tick
 * (the pieces of one frame, or a whole backlog) is sent on the next `process.nextTick` as ONE
 * HTTP chunk, `<hex size>\r\n<piece>…<piece>\r\n`, between `cork()` and `uncork()`: one writev
 * system call, the pieces passed by reference.
 *
 * Chunk ownership (frames are views into shared memory and are written by reference):
 * - `write(chunk)` keeps a reference to `chunk` (no copy).
 * - `onChunkWritten(bytes)` fires when the chunk is handed to the socket (`socket.write`); the
 *   bytes may still sit in the socket's userland buffer.
 * - `onChunkReleased(chunk)` fires, in write order and exactly once per accepted chunk, when the
 *   session will never read the chunk's memory again: the socket's write buffer has drained past
 *   it (the write callback of its HTTP chunk ran: the kernel has the bytes), or the session
 *   finished/failed and the socket is destroyed. Only then may the caller reuse the
 *   shared-memory bytes.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createAckParser, type FragmentAck } from './ack.js';
import {
  KvsError, ackError, isKvsError, networkError, sanitizeMessage, serviceError, signedAsFromHeaders, type LogFn,
  type SignedAs,
} from './errors.js';
import { validateEndpointUrl } from './endpoint.js';
import { Http1ResponseParser, type ResponseHead } from './http1-response.js';
import { NodeSha256 } from './sha256.js';
import { kvsTrustFromProcessEnv, serverCertificateError, tlsFailureSide, type TlsTrust } from './tls-trust.js';

export const KVS_SIGNING_SERVICE = 'kinesisvideo';
/** sha256("") — the payload hash the producer SDK signs for the streamed PutMedia body. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const PUT_MEDIA_HEADERS_TIMEOUT_MS = 30_000;
/** Max gap between response bytes; KVS sends IDLE acks when no data flows, so 60 s is dead. */
export const PUT_MEDIA_BODY_TIMEOUT_MS = 60_000;
export const PUT_MEDIA_CONNECT_TIMEOUT_MS = 5_000;
export const PUT_MEDIA_HIGH_WATER_MARK_BYTES = 256 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export type TimecodeType = 'ABSOLUTE' | 'RELATIVE';

export interface PutMediaSignParams {
  /** Data endpoint from GetDataEndpoint (no `/putMedia`). */
  endpoint: string;
  streamName: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  timecodeType: TimecodeType;
  /** Producer start time, ms since epoch → `x-amzn-producer-start-timestamp` (seconds.millis). */
  producerStartTimeMs: number;
  ackRequired: boolean;
  userAgent?: string;
  /** Signing time (tests); default now. */
  signingDate?: Date;
}

export interface SignedPutMedia {
  /** Full request URL, `<endpoint>/putMedia`. */
  url: string;
  origin: string;
  path: string;
  /** Headers to send (lower-case names), including host, x-amz-date, authorization. */
  headers: Record<string, string>;
}

/** `1700000000123` → `"1700000000.123"` (the producer SDK's "seconds_from_epoch.milliseconds"). */
export function formatProducerStartTimestamp(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  return `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
}

/**
 * Build and sign the PutMedia request headers with SigV4 (service `kinesisvideo`).
 *
 * Signing choice (same as the producer SDK, producer-c AwsV4Signer.c
 * `generateCanonicalRequestString`: "Streaming treats this portion as if the body were empty"):
 * the canonical request uses the empty-payload hash `e3b0c442…b855`, and no
 * `x-amz-content-sha256` header is sent. Signed: host, x-amz-date, x-amz-security-token (if any)
 * and the x-amzn-* headers; user-agent, connection and transfer-encoding are not signed
 * (the session writes the last two itself).
 */
export async function signPutMediaRequest(p: PutMediaSignParams): Promise<SignedPutMedia> {
  const base = new URL(validateEndpointUrl(p.endpoint, 'PutMedia data endpoint'));
  const path = `${base.pathname.replace(/\/+$/, '')}/putMedia`;
  const unsigned: Record<string, string> = {
    host: base.host,
    'x-amzn-stream-name': p.streamName,
    'x-amzn-fragment-timecode-type': p.timecodeType,
    'x-amzn-producer-start-timestamp': formatProducerStartTimestamp(p.producerStartTimeMs),
    'x-amzn-fragment-acknowledgment-required': p.ackRequired ? '1' : '0',
  };
  const request = new HttpRequest({
    method: 'POST',
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path,
    headers: unsigned,
  });
  const signer = new SignatureV4({
    service: KVS_SIGNING_SERVICE,
    region: p.region,
    credentials: p.credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  let signed;
  try {
    signed = await signer.sign(request, p.signingDate ? { signingDate: p.signingDate } : {});
  } catch (err) {
    if (isKvsError(err)) throw err;
    throw new KvsError({
      code: 'SIGNING_FAILED', retriable: false,
      // The provider's own text is not repeated: a custom provider might echo what it read.
      detail: err instanceof Error ? err.name : typeof err,
      message: 'Could not sign the PutMedia request: the credentials provider returned no usable credentials.',
    });
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v);
  if (p.userAgent) headers['user-agent'] = p.userAgent;
  return { url: `${base.origin}${path}`, origin: base.origin, path, headers };
}

export interface PutMediaOptions extends PutMediaSignParams {
  /** Roots that verify an https endpoint (default: resolveKvsTrust() of the worker's environment). */
  trust?: TlsTrust;
  /** TCP (+TLS) connect timeout, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Time to wait for the HTTP response headers once the request is sent, ms (default 30000). */
  headersTimeoutMs?: number;
  /** Max gap between response body bytes (ACKs), ms (default 60000; 0 disables). */
  bodyTimeoutMs?: number;
  /** Bytes queued inside the session (not yet taken by the kernel) before `write()` returns false (default 256 KiB). */
  highWaterMarkBytes?: number;
  log?: LogFn;
  /** Every parsed ACK, in arrival order (BUFFERING, RECEIVED, PERSISTED, ERROR, IDLE). */
  onAck?: (ack: FragmentAck) => void;
  /** A response line that is not a valid ACK (skipped; the session goes on). */
  onAckParseError?: (error: KvsError, line: string) => void;
  /** HTTP response headers arrived (200 = the session is live). */
  onResponse?: (statusCode: number) => void;
  /** A chunk of `bytes` was handed to the socket (benchmark hook; keep it cheap). */
  onChunkWritten?: (bytes: number) => void;
  /** The session will not read this chunk's memory again (see the module comment). */
  onChunkReleased?: (chunk: Uint8Array) => void;
}

export interface PutMediaResult {
  /** HTTP 200, the whole body (through end()) was written, the response ended normally, no transport error. */
  ok: boolean;
  statusCode?: number;
  error?: KvsError;
  /** Body bytes handed to the socket. */
  bytesWritten: number;
  /** ACKs received. */
  ackCount: number;
}

export type PutMediaState = 'connecting' | 'streaming' | 'ending' | 'closed';

/** Open a PutMedia session. Returns at once; connection and signing failures arrive in `closed`. */
export function openPutMedia(opts: PutMediaOptions): PutMediaSession {
  return new PutMediaSession(opts);
}

/** A transport error with the stable code undici used for the same condition (errors.ts maps them). */
function transportError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
/** Header values go on the wire as latin1 text: refuse anything that could split a header line. */
const UNSAFE_HEADER_VALUE = /[\0\r\n]/;

let nextSessionId = 1;

/**
 * One PutMedia request. Lifecycle: `connecting` (signing, connecting, waiting for the 200) →
 * `streaming` → `ending` (after `end()`, until the response ends) → `closed` (`closed` resolved).
 */
export class PutMediaSession {
  readonly id = nextSessionId++;
  /** Resolves (never rejects) once both directions are finished and every chunk is released. */
  readonly closed: Promise<PutMediaResult>;

  readonly #opts: PutMediaOptions;
  readonly #log: LogFn;
  readonly #hwm: number;
  #resolveClosed!: (r: PutMediaResult) => void;

  #state: PutMediaState = 'connecting';
  #ended = false; // caller called end()
  #abortReason: KvsError | undefined;

  #socket: Socket | undefined;
  #trust: TlsTrust | undefined;
  #headSent = false; // request line + headers handed to the socket: body chunks may follow
  #bodySent = false; // the last-chunk marker was handed to the socket
  #flushScheduled = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #headersTimer: NodeJS.Timeout | undefined;
  #bodyTimer: NodeJS.Timeout | undefined;

  #statusCode: number | undefined;
  #responseHeaders: Record<string, string> = {};
  #responseDone = false;
  #error: KvsError | undefined;
  #lastAckError: KvsError | undefined;
  #errorBody: Buffer[] = [];
  #errorBodyBytes = 0;
  /** How the request was signed, for telling auth failures apart. */
  #signedAs: SignedAs | undefined;
  #ackParser = createAckParser();
  #ackCount = 0;
  #http: Http1ResponseParser;

  // Chunk ownership: #held[#heldHead..] are accepted and not yet released, in write order;
  // #held[#unsent..] are not yet handed to the socket (#unsentBytes of them). Each HTTP chunk
  // sent covers #groups[i] consecutive held chunks; its write callback releases them.
  #held: Uint8Array[] = [];
  #heldHead = 0;
  #unsent = 0;
  #unsentBytes = 0;
  #groups: number[] = [];
  #bytesWritten = 0;
  #drainWaiters: { resolve: () => void; reject: (e: KvsError) => void }[] = [];

  constructor(opts: PutMediaOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? (() => {});
    this.#hwm = opts.highWaterMarkBytes ?? PUT_MEDIA_HIGH_WATER_MARK_BYTES;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#http = new Http1ResponseParser({
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#onBody(chunk),
      onComplete: () => this.#onComplete(),
    });
    void this.#start();
  }

  get state(): PutMediaState {
    return this.#state;
  }

  /** true while `write()` may be called (not ended, not finished, not failed). */
  get writable(): boolean {
    return !this.#ended && this.#state !== 'closed' && this.#error === undefined;
  }

  /** Body bytes handed to the socket so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Chunks accepted by `write()` and not yet released. */
  get heldChunks(): number {
    return this.#held.length - this.#heldHead;
  }

  /**
   * Queue `chunk` (by reference) for the request body. Returns false when the session's queue
   * is above its high-water mark: the chunk is still accepted; wait for `drain()` before writing
   * more. Calling it when `writable` is false is a bug and throws.
   */
  write(chunk: Uint8Array): boolean {
    if (!this.writable) {
      throw new KvsError({
        code: 'SESSION_NOT_WRITABLE', retriable: false,
        message: `PutMedia session ${this.id} is ${this.#ended ? 'ended' : this.#state}; check session.writable before write().`,
      });
    }
    if (chunk.byteLength !== 0) {
      this.#held.push(chunk);
      this.#unsentBytes += chunk.byteLength;
      this.#scheduleFlush();
    }
    return this.#queuedBytes() < this.#hwm;
  }

  /**
   * Resolves when the queue is below the high-water mark again. Rejects (KvsError) if the
   * session finishes first, so a writer loop cannot spin on a dead session.
   */
  drain(): Promise<void> {
    if (this.#state === 'closed' || this.#error) return Promise.reject(this.#closedError());
    if (this.#queuedBytes() < this.#hwm) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /** Finish the request body (idempotent). The session closes when the response ends. */
  end(): void {
    if (this.#ended || this.#state === 'closed') return;
    this.#ended = true;
    if (this.#state === 'streaming') this.#state = 'ending';
    this.#scheduleFlush();
  }

  /** Abort both directions now. `closed` resolves with `ok: false` and `error` (code ABORTED unless a KvsError is given). */
  abort(reason?: unknown): void {
    if (this.#state === 'closed' || this.#abortReason) return;
    this.#abortReason = isKvsError(reason)
      ? reason
      : new KvsError({
        code: 'ABORTED', retriable: false,
        message: `PutMedia session ${this.id} was aborted${reason instanceof Error ? `: ${sanitizeMessage(reason.message)}` : typeof reason === 'string' ? `: ${sanitizeMessage(reason)}` : ''}.`,
      });
    this.#fail(this.#abortReason);
    // An abandoned session is reset, not closed: with a FIN the peer would still read (and
    // store) what the kernel had buffered, and fragments counted as dropped would arrive after all.
    const socket = this.#socket;
    if (socket && !socket.destroyed && socket.readyState === 'open') {
      try {
        socket.resetAndDestroy();
      } catch {
        // Not resettable (a TLS socket on some versions): destroyed below.
      }
    }
    this.#shutdown();
  }

  // --- connection ----------------------------------------------------------------------------

  async #start(): Promise<void> {
    const o = this.#opts;
    let signed: SignedPutMedia;
    try {
      signed = await signPutMediaRequest(o);
    } catch (err) {
      this.#fail(isKvsError(err) ? err : new KvsError({
        code: 'SIGNING_FAILED', retriable: false, message: 'Could not sign the PutMedia request.',
      }));
      this.#shutdown();
      return;
    }
    if (this.#state === 'closed' || this.#error) return; // aborted while signing
    this.#signedAs = signedAsFromHeaders(signed.headers);
    let head = `POST ${signed.path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(signed.headers)) {
      if (UNSAFE_HEADER_VALUE.test(value)) {
        this.#fail(new KvsError({
          code: 'INVALID_ARGUMENT', retriable: false,
          message: `The PutMedia header ${name} contains a control character (CR, LF or NUL); check stream-name and user-agent.`,
        }));
        this.#shutdown();
        return;
      }
      head += `${name}: ${value}\r\n`;
    }
    head += 'connection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n';

    const url = new URL(signed.url);
    const tls = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port ? Number(url.port) : tls ? 443 : 80;
    this.#log('debug', `PutMedia ${this.id}: POST ${signed.url} stream=${o.streamName} timecode=${o.timecodeType} ack=${o.ackRequired ? 1 : 0}`);
    let socket: Socket;
    try {
      // TLS: the chosen roots and the host-name check; never relaxed.
      if (tls) this.#trust = o.trust ?? kvsTrustFromProcessEnv();
      socket = tls
        ? tlsConnect({ host, port, ALPNProtocols: ['http/1.1'], ...(isIP(host) ? {} : { servername: host }),
          ...(this.#trust?.secureContext ? { secureContext: this.#trust.secureContext } : {}) })
        : netConnect({ host, port });
    } catch (err) {
      this.#onError(err);
      return;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.#connectTimer = setTimeout(() => {
      this.#onError(transportError('UND_ERR_CONNECT_TIMEOUT', `Connect Timeout Error (${host}:${port})`));
    }, o.connectTimeoutMs || PUT_MEDIA_CONNECT_TIMEOUT_MS);
    this.#connectTimer.unref();
    socket.once(tls ? 'secureConnect' : 'connect', () => this.#onConnected(socket, head));
    socket.on('data', (data: Buffer) => this.#onSocketData(data));
    socket.on('end', () => this.#onSocketEnd());
    socket.on('error', (err) => this.#onError(err));
    socket.on('close', () => this.#onError(transportError('UND_ERR_SOCKET', 'other side closed')));
    socket.on('drain', () => this.#wakeDrainWaiters());
  }

  #onConnected(socket: Socket, head: string): void {
    clearTimeout(this.#connectTimer);
    if (this.#socket !== socket || socket.destroyed) return;
    socket.cork();
    socket.write(head, 'latin1');
    this.#headSent = true;
    this.#flush();
    socket.uncork();
    const headersTimeoutMs = this.#opts.headersTimeoutMs ?? PUT_MEDIA_HEADERS_TIMEOUT_MS;
    if (headersTimeoutMs > 0 && !this.#http.headReceived) {
      this.#headersTimer = setTimeout(() => {
        this.#onError(transportError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'));
      }, headersTimeoutMs);
      this.#headersTimer.unref();
    }
  }

  // --- request body --------------------------------------------------------------------------

  #scheduleFlush(): void {
    if (this.#flushScheduled || !this.#headSent) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flushTick);
  }

  #flushTick = (): void => {
    this.#flushScheduled = false;
    const s = this.#socket;
    if (!s || s.destroyed || this.#error) return;
    s.cork();
    this.#flush();
    s.uncork();
    this.#wakeDrainWaiters();
  };

  /** Hand every queued chunk to the (corked) socket as one HTTP chunk; then the last-chunk marker if ended. */
  #flush(): void {
    const s = this.#socket!;
    const from = this.#unsent;
    const to = this.#held.length;
    if (from < to) {
      s.write(`${this.#unsentBytes.toString(16)}\r\n`, 'latin1');
      const onWritten = this.#opts.onChunkWritten;
      for (let i = from; i < to; i++) {
        const chunk = this.#held[i]!;
        s.write(chunk);
        if (onWritten) this.#safe(onWritten, chunk.byteLength);
      }
      s.write(CRLF, this.#onGroupFlushed);
      this.#groups.push(to - from);
      this.#bytesWritten += this.#unsentBytes;
      this.#unsentBytes = 0;
      this.#unsent = to;
    }
    if (this.#ended && !this.#bodySent) {
      this.#bodySent = true;
      s.write(LAST_CHUNK);
    }
  }

  /** Write callback of an HTTP chunk's trailing CRLF: the kernel has all of its bytes. */
  #onGroupFlushed = (err?: Error | null): void => {
    // On a write error the socket is being destroyed: #finish releases everything.
    if (err || this.#state === 'closed') return;
    const n = this.#groups.shift();
    if (n !== undefined) this.#releaseUpTo(n);
    this.#wakeDrainWaiters();
  };

  #queuedBytes(): number {
    return this.#unsentBytes + (this.#socket ? this.#socket.writableLength : 0);
  }

  #wakeDrainWaiters(): void {
    if (this.#drainWaiters.length === 0 || this.#queuedBytes() >= this.#hwm) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  #releaseUpTo(count: number): void {
    const cb = this.#opts.onChunkReleased;
    for (let i = 0; i < count; i++) {
      const chunk = this.#held[this.#heldHead];
      this.#held[this.#heldHead] = undefined as unknown as Uint8Array;
      this.#heldHead += 1;
      if (cb && chunk) this.#safe(cb, chunk);
    }
    if (this.#heldHead > 1024 && this.#heldHead * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#unsent -= this.#heldHead;
      this.#heldHead = 0;
    }
  }

  // --- response ------------------------------------------------------------------------------

  #onSocketData(data: Buffer): void {
    if (this.#responseDone) return;
    try {
      this.#http.push(data);
    } catch (err) {
      this.#onError(err);
    }
  }

  #onSocketEnd(): void {
    if (this.#responseDone) return;
    if (!this.#http.end()) this.#onError(transportError('UND_ERR_SOCKET', 'other side closed'));
  }

  #onHead(head: ResponseHead): void {
    clearTimeout(this.#headersTimer);
    const statusCode = head.statusCode;
    this.#statusCode = statusCode;
    this.#responseHeaders = head.headers;
    if (statusCode === 200 && this.#state === 'connecting') this.#state = this.#ended ? 'ending' : 'streaming';
    this.#log('debug', `PutMedia ${this.id}: HTTP ${statusCode}`);
    const onResponse = this.#opts.onResponse;
    if (onResponse) this.#safe(onResponse, statusCode);
    const bodyTimeoutMs = this.#opts.bodyTimeoutMs ?? PUT_MEDIA_BODY_TIMEOUT_MS;
    if (bodyTimeoutMs > 0 && !this.#responseDone) {
      this.#bodyTimer = setTimeout(() => {
        this.#onError(transportError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'));
      }, bodyTimeoutMs);
      this.#bodyTimer.unref();
    }
  }

  #onBody(chunk: Uint8Array): void {
    this.#bodyTimer?.refresh();
    if (this.#statusCode === 200) {
      for (const ev of this.#ackParser.push(chunk)) this.#emitAckEvent(ev);
    } else if (this.#errorBodyBytes < MAX_ERROR_BODY_BYTES) {
      this.#errorBody.push(Buffer.from(chunk));
      this.#errorBodyBytes += chunk.byteLength;
    }
  }

  #onComplete(): void {
    if (this.#statusCode === 200) {
      for (const ev of this.#ackParser.end()) this.#emitAckEvent(ev);
      if (!this.#bodySent && !this.#error) {
        // The service ended the response while we were still sending: session over.
        this.#fail(this.#lastAckError ?? new KvsError({
          code: 'SESSION_CLOSED_BY_SERVICE', retriable: true,
          message: 'KVS ended the PutMedia response before the body was finished (idle timeout, connection duration limit or a fragment error); a new session is needed.',
        }));
      }
    } else {
      this.#fail(this.#httpError());
    }
    // One request per connection: close it; that also stops the body if it was still open.
    this.#shutdown();
  }

  #emitAckEvent(ev: ReturnType<ReturnType<typeof createAckParser>['push']>[number]): void {
    if (ev.kind === 'ack') {
      this.#ackCount += 1;
      if (ev.ack.type === 'ERROR' && ev.ack.errorId !== undefined) {
        this.#lastAckError = ackError(ev.ack.errorId, ev.ack.errorCode);
      }
      if (this.#opts.onAck) this.#safe(this.#opts.onAck, ev.ack);
    } else {
      this.#log('warn', `PutMedia ${this.id}: ${ev.error.message}`);
      const onParseError = this.#opts.onAckParseError;
      if (onParseError) this.#safe(() => onParseError(ev.error, ev.line), undefined);
    }
  }

  #httpError(): KvsError {
    const h = this.#responseHeaders;
    let type = h['x-amzn-errortype'] ?? h['x-amz-errortype'];
    let message: string | undefined;
    const text = Buffer.concat(this.#errorBody).toString('utf8');
    if (text) {
      try {
        const j = JSON.parse(text) as Record<string, unknown>;
        if (typeof j.__type === 'string' && !type) type = j.__type;
        const m = j.message ?? j.Message;
        if (typeof m === 'string') message = m;
      } catch {
        message = text.slice(0, 300);
      }
    }
    return serviceError({
      httpStatus: this.#statusCode,
      errorType: type,
      message,
      requestId: h['x-amzn-requestid'] ?? h['x-amz-requestid'],
      operation: 'PutMedia',
      streamName: this.#opts.streamName,
      signedAs: this.#signedAs,
    });
  }

  // --- finishing -----------------------------------------------------------------------------

  #onError(err: unknown): void {
    if (this.#state === 'closed') return;
    if (!this.#error) {
      const mapped = this.#abortReason ?? (isKvsError(err) ? err : this.#transportError(err));
      this.#fail(mapped);
      this.#log('debug', `PutMedia ${this.id}: ${mapped.code}${mapped.detail ? ` (${mapped.detail})` : ''}`);
    }
    this.#shutdown();
  }

  #transportError(err: unknown): KvsError {
    const code = (err as { code?: unknown }).code;
    if (this.#trust && typeof code === 'string' && tlsFailureSide(code) === 'server-certificate') {
      return serverCertificateError({
        operation: 'PutMedia', target: this.#opts.endpoint, code, trust: this.#trust,
        reason: sanitizeMessage(err instanceof Error ? err.message : String(err)),
      });
    }
    return networkError(err, 'PutMedia', this.#opts.endpoint);
  }

  #fail(err: KvsError): void {
    if (!this.#error) this.#error = err;
  }

  #closedError(): KvsError {
    return this.#error ?? new KvsError({
      code: 'SESSION_CLOSED', retriable: true, message: `PutMedia session ${this.id} is closed.`,
    });
  }

  /**
   * Both directions are over (response complete, error, abort): destroy the socket, so the
   * kernel no longer reads any chunk, then release every chunk and resolve `closed`.
   */
  #shutdown(): void {
    if (this.#state === 'closed') return;
    this.#responseDone = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#headersTimer);
    clearTimeout(this.#bodyTimer);
    const s = this.#socket;
    this.#socket = undefined;
    if (s && !s.destroyed) s.destroy();
    this.#state = 'closed';
    this.#releaseUpTo(this.#held.length - this.#heldHead);
    this.#groups = [];
    this.#unsentBytes = 0;
    const error = this.#error;
    const ok = !error && this.#statusCode === 200 && this.#bodySent;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w.reject(this.#closedError());
    const result: PutMediaResult = { ok, bytesWritten: this.#bytesWritten, ackCount: this.#ackCount };
    if (this.#statusCode !== undefined) result.statusCode = this.#statusCode;
    if (error) result.error = error;
    this.#log('debug', `PutMedia ${this.id}: closed ok=${ok}${error ? ` ${error.code}` : ''} bytes=${this.#bytesWritten} acks=${this.#ackCount}`);
    this.#resolveClosed(result);
  }

  #safe<T>(fn: (arg: T) => void, arg: T): void {
    try {
      fn(arg);
    } catch (err) {
      this.#log('error', `PutMedia ${this.id}: callback threw: ${sanitizeMessage(err instanceof Error ? err.message : String(err))}`);
    }
  }
}
