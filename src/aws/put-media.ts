/**
 * PutMedia session: one long-running, SigV4-signed `POST <data-endpoint>/putMedia` with a
 * chunked request body (the MKV stream) that is written while the response (HTTP 200, then
 * newline-separated ACK objects) is read on the same HTTP/1.1 connection (full duplex).
 *
 * Transport: undici `Dispatcher.dispatch()` with a handler, because it exposes what
 * `undici.request()` hides: `onBodySent` (called right after undici's `socket.write(chunk)`)
 * and per-chunk progress. undici delivers response headers and body data while the request
 * body is still open (client-h1: the parser runs independently of the writer); the unit test
 * "receives the 200 and a BUFFERING ack before end()" pins that.
 *
 * Chunk ownership (frames are views into shared memory and are written by reference):
 * - `write(chunk)` keeps a reference to `chunk` (no copy).
 * - `onChunkWritten(bytes)` fires when undici has handed the chunk to the socket
 *   (`socket.write`); the bytes may still sit in the socket's userland buffer.
 * - `onChunkReleased(chunk)` fires, in write order and exactly once per accepted chunk, when the
 *   session will never read the chunk's memory again: the socket's write buffer has drained past
 *   it (`socket.writableLength === 0` after it was written, i.e. the kernel has the bytes), or the
 *   session finished/failed and the socket is destroyed or idle. Only then may the caller reuse
 *   the shared-memory bytes. (If the socket cannot be observed, e.g. a custom dispatcher that
 *   wraps the body, releases happen when the session finishes: later but still safe.)
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createAckParser, type FragmentAck } from './ack.js';
import {
  KvsError, ackError, isKvsError, networkError, sanitizeMessage, serviceError, type LogFn,
} from './errors.js';
import { validateEndpointUrl } from './endpoint.js';

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
 * (undici writes the last two itself).
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
    sha256: Sha256,
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
  /** TCP/TLS connect timeout, ms; only used when this session creates its own Agent. */
  connectTimeoutMs?: number;
  /** Time to wait for the HTTP response headers once the request is sent, ms (default 30000). */
  headersTimeoutMs?: number;
  /** Max gap between response body bytes (ACKs), ms (default 60000; 0 disables). */
  bodyTimeoutMs?: number;
  /** undici dispatcher (tests pass an Agent with a short keep-alive); default: a per-session Agent. */
  dispatcher?: Dispatcher;
  /** Bytes queued inside the session before `write()` returns false (default 256 KiB). */
  highWaterMarkBytes?: number;
  log?: LogFn;
  /** Every parsed ACK, in arrival order (BUFFERING, RECEIVED, PERSISTED, ERROR, IDLE). */
  onAck?: (ack: FragmentAck) => void;
  /** A response line that is not a valid ACK (skipped; the session goes on). */
  onAckParseError?: (error: KvsError, line: string) => void;
  /** HTTP response headers arrived (200 = the session is live). */
  onResponse?: (statusCode: number) => void;
  /** undici handed a chunk of `bytes` to the socket (benchmark hook; keep it cheap). */
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

/** undici publishes `{ request, headers, socket }` here right before writing a request. */
const SEND_HEADERS_CHANNEL = 'undici:client:sendHeaders';

let nextSessionId = 1;

/**
 * One PutMedia request. Lifecycle: `connecting` (signing, connecting, waiting for the 200) →
 * `streaming` → `ending` (after `end()`, until the response ends) → `closed` (`closed` resolved).
 */
export class PutMediaSession {
  readonly id = nextSessionId++;
  /** Resolves (never rejects) once both directions are finished and every chunk is released. */
  readonly closed: Promise<PutMediaResult>;

  #opts: PutMediaOptions;
  #log: LogFn;
  #body: Readable;
  #hwm: number;
  #ownAgent: Agent | undefined;
  #resolveClosed!: (r: PutMediaResult) => void;

  #state: PutMediaState = 'connecting';
  #ended = false; // caller called end()
  #abortReason: KvsError | undefined;
  #undiciAbort: ((err?: Error) => void) | undefined;

  #statusCode: number | undefined;
  #responseDone = false;
  #requestDone = false;
  #bodySent = false; // undici wrote the whole body (onRequestSent, just before the last-chunk marker)
  #error: KvsError | undefined;
  #lastAckError: KvsError | undefined;
  #errorBody: Buffer[] = [];
  #errorBodyBytes = 0;
  #responseHeaders: Record<string, string> = {};
  #parser = createAckParser();
  #ackCount = 0;

  // Chunk ownership: #held[#heldHead..] are chunks accepted and not yet released, in order;
  // the first #sentCount of them have been handed to the socket.
  #held: Uint8Array[] = [];
  #heldHead = 0;
  #sentCount = 0;
  #bytesWritten = 0;
  #socket: Socket | undefined;
  #releaseTimer: NodeJS.Timeout | undefined;
  #drainWaiters: { resolve: () => void; reject: (e: KvsError) => void }[] = [];
  #subscribed = false;
  #finalizing = false;
  #finalizePolls = 0;

  constructor(opts: PutMediaOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? (() => {});
    this.#hwm = opts.highWaterMarkBytes ?? PUT_MEDIA_HIGH_WATER_MARK_BYTES;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#body = new Readable({
      highWaterMark: this.#hwm,
      read: () => this.#onBodyRead(),
    });
    this.#body.on('close', () => {
      this.#requestDone = true;
      this.#maybeFinish();
    });
    this.#body.on('error', () => { /* reported through the dispatch handler */ });
    void this.#start();
  }

  get state(): PutMediaState {
    return this.#state;
  }

  /** true while `write()` may be called (not ended, not finished). */
  get writable(): boolean {
    return !this.#ended && this.#state !== 'closed' && !this.#body.destroyed;
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
    if (chunk.byteLength === 0) return this.#body.readableLength < this.#hwm;
    this.#held.push(chunk);
    return this.#body.push(chunk);
  }

  /**
   * Resolves when the queue is below the high-water mark again. Rejects (KvsError) if the
   * session finishes first, so a writer loop cannot spin on a dead session.
   */
  drain(): Promise<void> {
    if (this.#state === 'closed' || this.#body.destroyed) {
      return Promise.reject(this.#closedError());
    }
    if (this.#body.readableLength < this.#hwm) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /** Finish the request body (idempotent). The session closes when the response ends. */
  end(): void {
    if (this.#ended || this.#state === 'closed') return;
    this.#ended = true;
    if (this.#state === 'streaming') this.#state = 'ending';
    if (!this.#body.destroyed) this.#body.push(null);
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
    if (this.#undiciAbort) this.#undiciAbort(this.#abortReason);
    this.#body.destroy();
    this.#responseDone ||= this.#undiciAbort === undefined;
    this.#maybeFinish();
  }

  // -------------------------------------------------------------------------------------------

  async #start(): Promise<void> {
    const o = this.#opts;
    let signed: SignedPutMedia;
    try {
      signed = await signPutMediaRequest(o);
    } catch (err) {
      this.#fail(isKvsError(err) ? err : new KvsError({
        code: 'SIGNING_FAILED', retriable: false, message: 'Could not sign the PutMedia request.',
      }));
      this.#responseDone = true;
      this.#body.destroy();
      this.#maybeFinish();
      return;
    }
    if (this.#abortReason) {
      this.#responseDone = true;
      this.#maybeFinish();
      return;
    }
    let dispatcher = o.dispatcher;
    if (!dispatcher) {
      this.#ownAgent = new Agent({ connect: { timeout: o.connectTimeoutMs ?? PUT_MEDIA_CONNECT_TIMEOUT_MS }, pipelining: 1 });
      dispatcher = this.#ownAgent;
    }
    subscribe(SEND_HEADERS_CHANNEL, this.#onSendHeaders);
    this.#subscribed = true;
    this.#log('debug', `PutMedia ${this.id}: POST ${signed.url} stream=${o.streamName} timecode=${o.timecodeType} ack=${o.ackRequired ? 1 : 0}`);
    try {
      dispatcher.dispatch(
        {
          origin: signed.origin,
          path: signed.path,
          method: 'POST',
          headers: signed.headers,
          body: this.#body,
          headersTimeout: o.headersTimeoutMs ?? PUT_MEDIA_HEADERS_TIMEOUT_MS,
          bodyTimeout: o.bodyTimeoutMs ?? PUT_MEDIA_BODY_TIMEOUT_MS,
        },
        this.#handler,
      );
    } catch (err) {
      this.#onError(err as Error);
    }
  }

  #onSendHeaders = (message: unknown): void => {
    const m = message as { request?: { body?: unknown }; socket?: Socket };
    if (m.request?.body !== this.#body || !m.socket) return;
    this.#socket = m.socket;
    this.#unsubscribe();
  };

  #unsubscribe(): void {
    if (this.#subscribed) {
      this.#subscribed = false;
      unsubscribe(SEND_HEADERS_CHANNEL, this.#onSendHeaders);
    }
  }

  // Legacy (onConnect/onHeaders/…) handler: the only undici 7 handler shape that still receives
  // onBodySent, which is what tells us a chunk was written to the socket.
  #handler: Dispatcher.DispatchHandler = {
    onConnect: (abort) => {
      this.#undiciAbort = abort;
      if (this.#abortReason) abort(this.#abortReason);
    },
    onHeaders: (statusCode, rawHeaders) => {
      if (statusCode < 200) return true;
      this.#statusCode = statusCode;
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        this.#responseHeaders[String(rawHeaders[i]).toLowerCase()] = String(rawHeaders[i + 1]);
      }
      if (statusCode === 200 && this.#state === 'connecting') this.#state = this.#ended ? 'ending' : 'streaming';
      this.#log('debug', `PutMedia ${this.id}: HTTP ${statusCode}`);
      this.#safe(() => this.#opts.onResponse?.(statusCode));
      return true;
    },
    onData: (chunk) => {
      if (this.#statusCode === 200) {
        for (const ev of this.#parser.push(chunk)) this.#emitAckEvent(ev);
      } else if (this.#errorBodyBytes < MAX_ERROR_BODY_BYTES) {
        this.#errorBody.push(chunk);
        this.#errorBodyBytes += chunk.byteLength;
      }
      return true;
    },
    onComplete: () => {
      if (this.#statusCode === 200) {
        for (const ev of this.#parser.end()) this.#emitAckEvent(ev);
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
      this.#responseDone = true;
      // undici destroys the socket when the response ends mid-request; stop our side too.
      if (!this.#body.destroyed && (!this.#bodySent || this.#error)) this.#body.destroy();
      this.#maybeFinish();
    },
    onError: (err) => this.#onError(err),
    // Not in undici's types, but Request.onRequestSent() calls it on legacy handlers.
    onRequestSent: () => {
      this.#bodySent = true;
    },
    onBodySent: (chunkOrSize: unknown) => {
      // undici passes the chunk (its types say the size): accept both.
      const bytes = typeof chunkOrSize === 'number' ? chunkOrSize : (chunkOrSize as Uint8Array).byteLength;
      this.#bytesWritten += bytes;
      this.#sentCount += 1;
      if (this.#opts.onChunkWritten) this.#safe(() => this.#opts.onChunkWritten!(bytes));
      this.#checkReleases();
    },
  } as Dispatcher.DispatchHandler;

  #onError(err: Error): void {
    if (!this.#error) {
      const mapped = this.#abortReason ?? (isKvsError(err) ? err : networkError(err, 'PutMedia', this.#opts.endpoint));
      this.#fail(mapped);
      this.#log('debug', `PutMedia ${this.id}: ${mapped.code}${mapped.detail ? ` (${mapped.detail})` : ''}`);
    }
    this.#responseDone = true;
    if (!this.#body.destroyed) this.#body.destroy();
    this.#maybeFinish();
  }

  #emitAckEvent(ev: ReturnType<ReturnType<typeof createAckParser>['push']>[number]): void {
    if (ev.kind === 'ack') {
      this.#ackCount += 1;
      if (ev.ack.type === 'ERROR' && ev.ack.errorId !== undefined) {
        this.#lastAckError = ackError(ev.ack.errorId, ev.ack.errorCode);
      }
      if (this.#opts.onAck) this.#safe(() => this.#opts.onAck!(ev.ack));
    } else {
      this.#log('warn', `PutMedia ${this.id}: ${ev.error.message}`);
      if (this.#opts.onAckParseError) this.#safe(() => this.#opts.onAckParseError!(ev.error, ev.line));
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
    });
  }

  #fail(err: KvsError): void {
    if (!this.#error) this.#error = err;
  }

  #closedError(): KvsError {
    return this.#error ?? new KvsError({
      code: 'SESSION_CLOSED', retriable: true, message: `PutMedia session ${this.id} is closed.`,
    });
  }

  // Readable calls _read when its consumer (undici) wants more; it stays `reading` until the
  // next push, so resolve every waiter here (do not re-check readableLength: _read runs before
  // the consumed chunk leaves the buffer, and a skipped wake-up would never come back).
  #onBodyRead(): void {
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log('error', `PutMedia ${this.id}: callback threw: ${sanitizeMessage(err instanceof Error ? err.message : String(err))}`);
    }
  }

  // --- chunk release -------------------------------------------------------------------------

  /** Release every chunk handed to the socket once the socket holds none of our bytes. */
  #checkReleases(): void {
    if (this.#sentCount === 0) return;
    const s = this.#socket;
    if (!s) return; // unobservable: released at finish
    if (s.destroyed || s.writableLength === 0) {
      this.#releaseUpTo(this.#sentCount);
      return;
    }
    if (this.#releaseTimer === undefined) {
      this.#releaseTimer = setTimeout(() => {
        this.#releaseTimer = undefined;
        this.#checkReleases();
        if (this.#finalizing) this.#maybeFinish();
      }, 2);
      this.#releaseTimer.unref();
    }
  }

  #releaseUpTo(count: number): void {
    const cb = this.#opts.onChunkReleased;
    for (let i = 0; i < count; i++) {
      const chunk = this.#held[this.#heldHead];
      this.#held[this.#heldHead] = undefined as unknown as Uint8Array;
      this.#heldHead += 1;
      if (cb && chunk) this.#safe(() => cb(chunk));
    }
    this.#sentCount -= count;
    if (this.#heldHead > 1024 && this.#heldHead * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#heldHead = 0;
    }
  }

  #maybeFinish(): void {
    if (this.#state === 'closed') return;
    if (!this.#responseDone || !this.#requestDone) return;
    this.#finalizing = true;
    // Our bytes may still be in a live (keep-alive) socket's buffer: wait until it drains.
    const s = this.#socket;
    if (s && !s.destroyed && s.writableLength > 0 && this.#sentCount > 0) {
      // Bounded: a socket that does not drain within ~5 s (2 ms polls) is destroyed, which
      // also guarantees the kernel no longer reads our memory.
      if (++this.#finalizePolls > 2500) s.destroy();
      this.#checkReleases();
      return;
    }
    if (this.#releaseTimer) clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    this.#state = 'closed';
    this.#unsubscribe();
    this.#releaseUpTo(this.#held.length - this.#heldHead);
    const error = this.#error;
    const ok = !error && this.#statusCode === 200 && this.#bodySent;
    for (const w of this.#drainWaiters) w.reject(this.#closedError());
    this.#drainWaiters = [];
    if (this.#ownAgent) {
      const agent = this.#ownAgent;
      this.#ownAgent = undefined;
      (error ? agent.destroy() : agent.close()).catch(() => {});
    }
    this.#socket = undefined;
    const result: PutMediaResult = { ok, bytesWritten: this.#bytesWritten, ackCount: this.#ackCount };
    if (this.#statusCode !== undefined) result.statusCode = this.#statusCode;
    if (error) result.error = error;
    this.#log('debug', `PutMedia ${this.id}: closed ok=${ok}${error ? ` ${error.code}` : ''} bytes=${this.#bytesWritten} acks=${this.#ackCount}`);
    this.#resolveClosed(result);
  }
}
