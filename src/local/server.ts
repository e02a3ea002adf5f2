/**
 * The local KVS-compatible endpoint: a real HTTP server speaking the control-plane JSON APIs,
 * PutMedia (full duplex, ACK stream), GetMedia, ListFragments and GetMediaForFragmentList,
 * with SigV4 verification of every KVS request, persistent storage under `dataDir`, the
 * documented service limits, fault injection and per-stream metrics.
 *
 * ```ts
 * const kvs = await startLocalKvs({ dataDir: '/tmp/kvs' });
 * // AWS_ENDPOINT_URL_KINESIS_VIDEO=kvs.url, AWS_ACCESS_KEY_ID=AKIDEXAMPLE, ...
 * await kvs.close();
 * ```
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { getMedia, getMediaForFragmentList, listFragments } from './archived-media.js';
import { DEFAULT_LIMITS, type LocalContext, type LocalKvsLimits, type LogFn, type ResolvedOptions, type StreamState } from './context.js';
import { checkControlLimits, CONTROL_ROUTES, handleControl, streamInfo, streamNameOf, type Json } from './control-plane.js';
import { API_ERROR_STATUS, apiError, isApiError, type ApiError, type ApiErrorType } from './errors.js';
import { createFaultRegistry, type ActiveFault, type FaultRegistry, type FaultSpec } from './faults.js';
import { BodyTooLargeError, readBody, requestId, sendError, sendJson } from './http-util.js';
import { emptyMetrics, restoreMetrics, type StreamMetrics } from './metrics.js';
import { runPutMedia, validatePutMediaHeaders } from './put-media.js';
import { createTokenBucket, createWindowLimiter } from './rate-limit.js';
import { MAX_CLOCK_SKEW_MS, verifySigV4, type CredentialSet } from './sigv4.js';
import { loadStreams, removeStreamDir, saveJson, saveStreamRecord, streamDir, type FragmentIndexEntry, type StreamRecord } from './store.js';

export type { CredentialSet } from './sigv4.js';
export type { FaultSpec } from './faults.js';
export type { LocalKvsLimits } from './context.js';
export type { StreamMetrics } from './metrics.js';

export const DEFAULT_ACCESS_KEY_ID = 'AKIDEXAMPLE';
export const DEFAULT_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const DEFAULT_REGION = 'us-west-2';
export const DEFAULT_ACCOUNT_ID = '123456789012';
/**
 * CREATING → ACTIVE (and DELETING → gone) delay. Zero by default: producers such as the official
 * kvssink send PutMedia right after CreateStream and work against the real service on a first run,
 * so a local endpoint must not fail them. A delay (by time, as in the service) tests producers
 * that wait for ACTIVE.
 */
export const DEFAULT_ACTIVATION_DELAY_MS = 0;
/** IDLE ack period while no data arrives. */
export const DEFAULT_IDLE_ACK_INTERVAL_MS = 3000;
/** "If no data is received within the 30 seconds, Kinesis Video Streams closes the request." */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** ErrorId 4003 MAX_CONNECTION_DURATION_REACHED after this long (tokens are refreshed every 45 minutes). */
export const DEFAULT_MAX_CONNECTION_DURATION_MS = 45 * 60 * 1000;
/** ErrorId 4007 INVALID_PRODUCER_TIMESTAMP when a producer timestamp is further in the future than this. */
export const DEFAULT_PRODUCER_TIMESTAMP_FUTURE_LIMIT_MS = 15 * 60 * 1000;
/** A caught-up GetMedia response ends after this long without a new fragment. */
export const DEFAULT_GET_MEDIA_IDLE_MS = 2000;
const CONTROL_BODY_LIMIT_BYTES = 1024 * 1024;
const FRAGMENT_NUMBER_BASE = 91343852333181432392682062607743920146264440297n;

export type LocalKvsLogEntry = Parameters<LogFn>[0];

export type LocalKvsOptions = {
  /** Directory for persisted state (required); survives restarts. */
  dataDir: string;
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Accepted credential sets; default one set AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. */
  credentials?: CredentialSet[];
  /** Region that must appear in the SigV4 credential scope (default us-west-2). */
  region?: string;
  accountId?: string;
  /** CREATING → ACTIVE delay in ms (default 0 = ACTIVE at once). */
  activationDelayMs?: number;
  idleAckIntervalMs?: number;
  idleTimeoutMs?: number;
  maxConnectionDurationMs?: number;
  producerTimestampFutureLimitMs?: number;
  getMediaIdleMs?: number;
  /** How long to keep reading a request body after the response ended early (default 2000 ms). */
  lingerMs?: number;
  /** How far the endpoint's clock is ahead of the host's (negative: behind), to try clock skew (default 0). */
  clockOffsetMs?: number;
  /** fsync chunk files before PERSISTED acks (default true). */
  fsync?: boolean;
  /** Keep the raw body of every PutMedia session in sessions/<k>.mkv (default true). */
  keepRawSessions?: boolean;
  /** Override documented service limits (tests use small values). */
  limits?: Partial<LocalKvsLimits>;
  /** KmsKeyId → PutMedia ErrorId (4500–4506) to simulate KMS problems for streams using that key. */
  kmsKeyErrors?: Record<string, number>;
  /** DataEndpoint returned by GetDataEndpoint (default: this server's URL). */
  publicUrl?: string;
  /** Faults active from the start. */
  faults?: FaultSpec[];
  /** Structured log sink (one object per event; secrets are never logged). */
  log?: LogFn;
  /** Serve HTTPS with this certificate and key (PEM files), to try a producer's CA configuration. */
  tls?: { certPath: string; keyPath: string };
};

/** A stored fragment as the API shows it: the index entry, with `file` made absolute. */
export type FragmentInfo = Omit<FragmentIndexEntry, 'headerBytes' | 'tagsBytes' | 'clusterBytes'>;

export type StreamSummaryInfo = {
  streamName: string;
  streamArn: string;
  status: StreamRecord['status'];
  dataRetentionInHours: number;
  version: string;
  tags: Record<string, string>;
  creationTimeMs: number;
  fragments: number;
  sessions: number;
};

export type LocalKvs = {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  /** Stops the server and closes every connection. */
  close(): Promise<void>;
  listStreams(): StreamSummaryInfo[];
  getFragments(streamName: string): FragmentInfo[];
  metrics(streamName: string): StreamMetrics;
  /** Resolves once `streamName` has at least `count` stored fragments. */
  waitForFragments(streamName: string, count: number, timeoutMs?: number): Promise<FragmentInfo[]>;
  /**
   * Accepts one more credential set from now on; with `expiresAtMs`, requests signed with it are
   * refused after that time with 403 ExpiredTokenException (what the IoT provider issues).
   */
  addCredentials(set: CredentialSet): void;
  readonly faults: Pick<FaultRegistry, 'add' | 'remove' | 'clear' | 'list'>;
};

function resolveOptions(o: LocalKvsOptions): ResolvedOptions {
  if (!o.dataDir) throw new TypeError('Expected the "dataDir" option to be a directory path');
  const clockOffset = (v: number | undefined): number => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new TypeError('Expected the "clockOffsetMs" option to be a number');
    return v ?? 0;
  };
  const num = (name: string, v: number | undefined, def: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`Expected the "${name}" option to be a non-negative number`);
    return v;
  };
  const credentials = o.credentials ?? [{ accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY }];
  if (!Array.isArray(credentials) || credentials.length === 0 || credentials.some((c) => !c.accessKeyId || !c.secretAccessKey)) {
    throw new TypeError('Expected the "credentials" option to be a non-empty list of { accessKeyId, secretAccessKey, sessionToken? }');
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: num('port', o.port, 0),
    dataDir: resolvePath(o.dataDir),
    credentials,
    region: o.region ?? DEFAULT_REGION,
    accountId: o.accountId ?? DEFAULT_ACCOUNT_ID,
    activationDelayMs: num('activationDelayMs', o.activationDelayMs, DEFAULT_ACTIVATION_DELAY_MS),
    idleAckIntervalMs: Math.max(1, num('idleAckIntervalMs', o.idleAckIntervalMs, DEFAULT_IDLE_ACK_INTERVAL_MS)),
    idleTimeoutMs: num('idleTimeoutMs', o.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS),
    maxConnectionDurationMs: num('maxConnectionDurationMs', o.maxConnectionDurationMs, DEFAULT_MAX_CONNECTION_DURATION_MS),
    producerTimestampFutureLimitMs: num('producerTimestampFutureLimitMs', o.producerTimestampFutureLimitMs, DEFAULT_PRODUCER_TIMESTAMP_FUTURE_LIMIT_MS),
    getMediaIdleMs: num('getMediaIdleMs', o.getMediaIdleMs, DEFAULT_GET_MEDIA_IDLE_MS),
    lingerMs: num('lingerMs', o.lingerMs, 2000),
    clockOffsetMs: clockOffset(o.clockOffsetMs),
    fsync: o.fsync ?? true,
    keepRawSessions: o.keepRawSessions ?? true,
    limits: { ...DEFAULT_LIMITS, ...(o.limits ?? {}) },
    kmsKeyErrors: o.kmsKeyErrors ?? {},
    ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}),
  };
}

const MEDIA_ROUTES: Record<string, string> = {
  '/putMedia': 'PutMedia',
  '/getMedia': 'GetMedia',
  '/listFragments': 'ListFragments',
  '/getMediaForFragmentList': 'GetMediaForFragmentList',
};

const ERROR_ALIASES: Record<string, ApiErrorType> = {
  '500': 'InternalFailure',
  InternalError: 'InternalFailure',
  ClientLimitExceeded: 'ClientLimitExceededException',
  ResourceNotFound: 'ResourceNotFoundException',
  NotAuthorized: 'NotAuthorizedException',
  ConnectionLimitExceeded: 'ConnectionLimitExceededException',
};

function faultError(f: ActiveFault): ApiError {
  const name = ERROR_ALIASES[f.error ?? ''] ?? (f.error as ApiErrorType);
  const status = (API_ERROR_STATUS as Record<string, number>)[name] ?? 400;
  return { errorType: name, status, message: f.message ?? `Injected fault: ${name}` };
}

export async function startLocalKvs(options: LocalKvsOptions): Promise<LocalKvs> {
  const opts = resolveOptions(options);
  await mkdir(opts.dataDir, { recursive: true });
  const logSink = options.log;
  const sockets = new Set<Socket>();
  const limiter = createWindowLimiter();
  const faults = createFaultRegistry(options.faults ?? []);
  let lastFragmentNumber = 0n;
  const metricsWrites = new Map<string, Promise<void>>();
  const pendingWork = new Set<Promise<void>>();

  const ctx: LocalContext = {
    options: opts,
    url: '',
    streams: new Map(),
    faults,
    limiter,
    closing: false,
    log(level, event, fields = {}) {
      if (!logSink) return;
      try {
        logSink({ time: new Date().toISOString(), level, event, ...fields });
      } catch {
        // A failing log sink must not break the server.
      }
    },
    now: () => Date.now() + opts.clockOffsetMs,
    nextFragmentNumber() {
      const candidate = FRAGMENT_NUMBER_BASE + BigInt(Date.now()) * 1000n;
      lastFragmentNumber = candidate > lastFragmentNumber ? candidate : lastFragmentNumber + 1n;
      return lastFragmentNumber.toString();
    },
    async saveStream(stream) {
      await saveStreamRecord(opts.dataDir, stream.record);
    },
    saveMetrics(stream) {
      const name = stream.record.streamName;
      stream.metricsDirty = false;
      const snapshot = JSON.parse(JSON.stringify(stream.metrics)) as StreamMetrics;
      const prev = metricsWrites.get(name) ?? Promise.resolve();
      const next = prev
        .then(() => (ctx.streams.get(name) === stream ? saveJson(`${stream.dir}/metrics.json`, snapshot) : undefined))
        .catch(() => {});
      metricsWrites.set(name, next);
    },
    refreshStatus(stream) {
      const r = stream.record;
      if (r.transitionAtMs === undefined || r.transitionAtMs > ctx.now()) return;
      if (r.status === 'CREATING' || r.status === 'UPDATING') {
        r.status = 'ACTIVE';
        delete r.transitionAtMs;
        ctx.log('info', 'stream-active', { stream: r.streamName });
        void ctx.saveStream(stream).catch(() => {});
      } else if (r.status === 'DELETING') {
        finishDelete(stream);
      }
    },
    createStreamState(record) {
      const stream: StreamState = {
        record,
        dir: streamDir(opts.dataDir, record.streamName),
        fragments: [],
        sessions: 0,
        metrics: emptyMetrics(),
        putMedia: new Set(),
        fragmentWaiters: new Set(),
        getMediaConnections: 0,
        gfflConnections: 0,
        ingestBucket: createTokenBucket(opts.limits.putMediaBytesPerSecond),
        metadataQuota: createTokenBucket(opts.limits.fragmentMetadataQuotaPerSecond),
        mediaQuota: createTokenBucket(opts.limits.fragmentMediaQuotaPerSecond),
        metricsDirty: false,
      };
      ctx.streams.set(record.streamName, stream);
      scheduleTransition(stream);
      return stream;
    },
    deleteStream(stream) {
      const r = stream.record;
      r.status = 'DELETING';
      r.transitionAtMs = ctx.now() + opts.activationDelayMs;
      for (const s of [...stream.putMedia]) s.terminate('stream-deleted');
      for (const wake of [...stream.fragmentWaiters]) wake();
      ctx.log('info', 'stream-deleting', { stream: r.streamName });
      if (opts.activationDelayMs === 0) finishDelete(stream);
      else {
        void ctx.saveStream(stream).catch(() => {});
        scheduleTransition(stream);
      }
    },
    trackSocket(socket) {
      sockets.add(socket);
    },
    trackWork(work) {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      pendingWork.add(settled);
      void settled.then(() => pendingWork.delete(settled));
    },
  };

  function scheduleTransition(stream: StreamState): void {
    if (stream.transitionTimer) clearTimeout(stream.transitionTimer);
    const at = stream.record.transitionAtMs;
    if (at === undefined) return;
    // Timers run on the monotonic clock and may fire a little before Date.now() reaches `at`:
    // re-arm until the transition is due, so that it happens by time alone.
    stream.transitionTimer = setTimeout(() => {
      ctx.refreshStatus(stream);
      if (stream.record.transitionAtMs !== undefined && ctx.streams.get(stream.record.streamName) === stream) scheduleTransition(stream);
    }, Math.max(1, at - ctx.now()));
    stream.transitionTimer.unref();
  }

  function finishDelete(stream: StreamState): void {
    const name = stream.record.streamName;
    if (ctx.streams.get(name) !== stream) return;
    if (stream.transitionTimer) clearTimeout(stream.transitionTimer);
    ctx.streams.delete(name);
    ctx.log('info', 'stream-deleted', { stream: name });
    void removeStreamDir(opts.dataDir, name).catch(() => {});
  }

  // Restore persisted streams.
  for (const loaded of await loadStreams(opts.dataDir)) {
    const stream = ctx.createStreamState(loaded.record);
    stream.fragments = loaded.fragments;
    stream.sessions = loaded.sessions;
    stream.metrics = loaded.metrics ? restoreMetrics(loaded.metrics) : emptyMetrics();
    for (const f of loaded.fragments) {
      const n = BigInt(f.fragmentNumber);
      if (n > lastFragmentNumber) lastFragmentNumber = n;
    }
    ctx.refreshStatus(stream);
  }

  const onRequest: RequestListener = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.log('error', 'internal-error', { error: err instanceof Error ? err.stack : String(err) });
      if (!res.headersSent) sendError(res, apiError('InternalFailure', 'Internal error'), requestId());
      else res.destroy();
    });
  };
  const serverOptions = { requestTimeout: 0, keepAliveTimeout: 5000 };
  const server = options.tls
    ? createHttpsServer({ ...serverOptions, cert: readFileSync(options.tls.certPath), key: readFileSync(options.tls.keyPath) }, onRequest)
    : createServer(serverOptions, onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  /** Rejects a request whose body we will not read: respond, then linger and close. */
  function rejectEarly(req: IncomingMessage, res: ServerResponse, error: ApiError, reqId: string, media: boolean): void {
    // No "connection: close": Node would then close the socket as soon as the response is out,
    // the client's next body write would meet a reset, and the kernel would discard the error
    // response it had not read yet. The body is read and discarded instead, for lingerMs at most.
    sendError(res, error, reqId, media);
    req.resume();
    if (!req.complete) {
      const timer = setTimeout(() => req.socket.destroy(), opts.lingerMs);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
    }
  }

  function applyConnectionFaults(firing: ActiveFault[], req: IncomingMessage): boolean {
    if (firing.some((f) => f.kind === 'reset')) {
      ctx.log('info', 'fault-reset', { url: req.url });
      req.socket.resetAndDestroy();
      return true;
    }
    if (firing.some((f) => f.kind === 'black-hole')) {
      ctx.log('info', 'fault-black-hole', { url: req.url });
      sockets.add(req.socket);
      req.resume();
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reqId = requestId();
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path.startsWith('/_local/')) return admin(req, res, path, url);
    const api = CONTROL_ROUTES[path] ?? MEDIA_ROUTES[path];
    const media = MEDIA_ROUTES[path] !== undefined;
    if (!api || req.method !== 'POST') {
      return rejectEarly(req, res, apiError('UnknownOperationException', `Unknown operation: ${req.method ?? ''} ${path}`), reqId, false);
    }

    if (api === 'PutMedia') {
      const auth = verifySigV4(
        { method: req.method, url, rawHeaders: req.rawHeaders, payload: { kind: 'streaming' } },
        { credentials: opts.credentials, region: opts.region, service: 'kinesisvideo', nowMs: ctx.now() },
      );
      if (!auth.ok) {
        ctx.log('warn', 'auth-failed', { api, errorType: auth.errorType, message: auth.message });
        const named = ctx.streams.get(String(req.headers['x-amzn-stream-name'] ?? ''));
        if (named) named.metrics['PutMedia.ConnectionErrors']++;
        return rejectEarly(req, res, { errorType: auth.errorType, status: auth.status, message: auth.message }, reqId, true);
      }
      const pm = validatePutMediaHeaders(ctx, req);
      if (isApiError(pm)) {
        ctx.log('warn', 'put-media-rejected', { errorType: pm.errorType, message: pm.message });
        return rejectEarly(req, res, pm, reqId, true);
      }
      if (auth.expiresAtMs !== undefined) pm.credentialsExpireAtMs = auth.expiresAtMs;
      const stream = pm.stream;
      const name = stream.record.streamName;
      stream.metrics['PutMedia.Requests']++;
      stream.metricsDirty = true;
      const firing = faults.take('PutMedia', name);
      if (applyConnectionFaults(firing, req)) return;
      const rejection = (() => {
        const fail = firing.find((f) => f.kind === 'fail-call');
        if (fail) return faultError(fail);
        if (firing.some((f) => f.kind === 'not-authorized')) {
          return apiError('NotAuthorizedException', 'The caller is not authorized to perform an operation on the given stream, or the token has expired.');
        }
        const now = ctx.now();
        if (!limiter.tryAcquire(`PutMedia:${name}`, opts.limits.putMediaTps, now) || stream.ingestBucket.inDebt(now)) {
          return apiError('ClientLimitExceededException', 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client calls. Try making the call later.');
        }
        return undefined;
      })();
      if (rejection) {
        stream.metrics['PutMedia.ConnectionErrors']++;
        ctx.log('warn', 'put-media-rejected', { stream: name, errorType: rejection.errorType, message: rejection.message });
        return rejectEarly(req, res, rejection, reqId, true);
      }
      await runPutMedia(ctx, req, res, pm, firing, reqId);
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req, CONTROL_BODY_LIMIT_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, apiError('InvalidArgumentException', err.message), reqId, media);
      return;
    }
    const auth = verifySigV4(
      { method: req.method, url, rawHeaders: req.rawHeaders, payload: { kind: 'body', body } },
      { credentials: opts.credentials, region: opts.region, service: 'kinesisvideo', nowMs: ctx.now() },
    );
    if (!auth.ok) {
      ctx.log('warn', 'auth-failed', { api, errorType: auth.errorType, message: auth.message });
      return sendError(res, { errorType: auth.errorType, status: auth.status, message: auth.message }, reqId, media);
    }
    let json: Json;
    try {
      const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      json = parsed as Json;
    } catch {
      return sendError(res, apiError('SerializationException', 'The request body is not a JSON object.'), reqId, media);
    }
    const streamName = streamNameOf(ctx, json);
    const firing = faults.take(api, streamName);
    if (applyConnectionFaults(firing, req)) return;
    const fail = firing.find((f) => f.kind === 'fail-call');
    if (fail) {
      ctx.log('info', 'fault-fail-call', { api, stream: streamName, errorType: faultError(fail).errorType });
      return sendError(res, faultError(fail), reqId, media);
    }
    try {
      if (media) {
        if (api === 'ListFragments') return sendJson(res, 200, listFragments(ctx, json), reqId);
        if (api === 'GetMedia') return await getMedia(ctx, req, res, json, reqId);
        return await getMediaForFragmentList(ctx, req, res, json, reqId);
      }
      checkControlLimits(ctx, api, streamName);
      const result = await handleControl(ctx, api, json);
      ctx.log('debug', 'api-call', { api, stream: streamName });
      if (result.body === undefined) {
        res.writeHead(200, { 'content-length': 0, 'x-amzn-requestid': reqId, date: new Date().toUTCString() });
        res.end();
      } else {
        sendJson(res, 200, result.body, reqId);
      }
    } catch (err) {
      if (isApiError(err)) {
        ctx.log('info', 'api-error', { api, stream: streamName, errorType: err.errorType, message: err.message });
        return sendError(res, err, reqId, media);
      }
      throw err;
    }
  }

  function summary(stream: StreamState): StreamSummaryInfo {
    const r = stream.record;
    return {
      streamName: r.streamName,
      streamArn: r.streamArn,
      status: r.status,
      dataRetentionInHours: r.dataRetentionInHours,
      version: r.version,
      tags: { ...r.tags },
      creationTimeMs: r.creationTimeMs,
      fragments: stream.fragments.length,
      sessions: stream.sessions,
    };
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string, url: string): Promise<void> {
    const reqId = requestId();
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    if (req.method === 'GET' && path === '/_local/health') return sendJson(res, 200, { ok: true }, reqId);
    if (req.method === 'GET' && path === '/_local/streams') {
      return sendJson(res, 200, { streams: [...ctx.streams.values()].map((s) => ({ ...summary(s), info: streamInfo(ctx, s.record) })) }, reqId);
    }
    if (req.method === 'GET' && path === '/_local/metrics') {
      const name = query.get('stream');
      if (name) {
        const s = ctx.streams.get(name);
        if (!s) return sendError(res, apiError('ResourceNotFoundException', `No stream ${name}`), reqId);
        return sendJson(res, 200, s.metrics, reqId);
      }
      return sendJson(res, 200, { streams: Object.fromEntries([...ctx.streams].map(([n, s]) => [n, s.metrics])) }, reqId);
    }
    if (path === '/_local/faults') {
      if (req.method === 'GET') return sendJson(res, 200, { faults: faults.list() }, reqId);
      if (req.method === 'DELETE') {
        faults.clear();
        return sendJson(res, 200, { faults: [] }, reqId);
      }
      if (req.method === 'POST') {
        try {
          const spec = JSON.parse((await readBody(req, CONTROL_BODY_LIMIT_BYTES)).toString('utf8')) as FaultSpec;
          return sendJson(res, 200, { id: faults.add(spec) }, reqId);
        } catch (err) {
          return sendError(res, apiError('InvalidArgumentException', (err as Error).message), reqId);
        }
      }
    }
    return sendError(res, apiError('UnknownOperationException', `Unknown local endpoint ${req.method ?? ''} ${path}`), reqId);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  ctx.url = `${options.tls ? 'https' : 'http'}://${hostForUrl}:${address.port}`;
  ctx.log('info', 'listening', { url: ctx.url, dataDir: opts.dataDir, region: opts.region, streams: ctx.streams.size });

  const metricsFlush = setInterval(() => {
    for (const s of ctx.streams.values()) if (s.metricsDirty) ctx.saveMetrics(s);
  }, 1000);
  metricsFlush.unref();

  let closed: Promise<void> | undefined;
  const toInfo = (stream: StreamState) =>
    stream.fragments.map(
      ({ headerBytes: _h, tagsBytes: _t, clusterBytes: _c, ...f }): FragmentInfo => ({
        ...f,
        framesPerTrack: { ...f.framesPerTrack },
        file: resolvePath(stream.dir, f.file),
        ...(f.metadata ? { metadata: f.metadata.map(([k, v]) => [k, v] as [string, string]) } : {}),
      }),
    );
  const requireStream = (name: string): StreamState => {
    const s = ctx.streams.get(name);
    if (!s) throw new Error(`No stream named "${name}"`);
    return s;
  };

  return {
    url: ctx.url,
    port: address.port,
    dataDir: opts.dataDir,
    region: opts.region,
    faults: { add: faults.add, remove: faults.remove, clear: faults.clear, list: faults.list },
    listStreams: () => [...ctx.streams.values()].map(summary),
    getFragments: (name) => toInfo(requireStream(name)),
    metrics: (name) => JSON.parse(JSON.stringify(requireStream(name).metrics)) as StreamMetrics,
    addCredentials(set) {
      if (!set.accessKeyId || !set.secretAccessKey) throw new TypeError('Expected { accessKeyId, secretAccessKey, sessionToken?, expiresAtMs? }');
      // Sets expired for longer than the clock-skew window can no longer sign anything: drop them.
      const stale = ctx.now() - MAX_CLOCK_SKEW_MS;
      opts.credentials = opts.credentials.filter((c) => c.expiresAtMs === undefined || c.expiresAtMs > stale);
      opts.credentials.push({ ...set });
    },
    waitForFragments(name, count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const s = ctx.streams.get(name);
          if (s && s.fragments.length >= count) {
            cleanup();
            resolve(toInfo(s));
            return true;
          }
          return false;
        };
        const poll = setInterval(check, 20);
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${count} fragments on "${name}"`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearInterval(poll);
          clearTimeout(timer);
        };
        check();
      });
    },
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        clearInterval(metricsFlush);
        for (const s of ctx.streams.values()) {
          if (s.transitionTimer) clearTimeout(s.transitionTimer);
          for (const h of [...s.putMedia]) h.terminate('server-closing');
          for (const wake of [...s.fragmentWaiters]) wake();
        }
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
          for (const s of sockets) s.destroy();
        });
        await Promise.all(pendingWork);
        for (const s of ctx.streams.values()) ctx.saveMetrics(s);
        await Promise.all(metricsWrites.values());
        ctx.log('info', 'closed', {});
      })();
      return closed;
    },
  };
}
