/**
 * Deterministic fault injection. A fault names the calls it applies to (API, optional
 * stream, starting at the `call`-th matching call counted from when the fault was added)
 * and fires `times` times (default 1; 0 = on every matching call from then on). With `forMs`
 * it fires only within that many ms of its first firing: `{ kind: 'reset', api: '*', times: 0,
 * forMs: 30000 }` is a 30 s outage.
 *
 * Kinds:
 * - `drop-connection`  PutMedia: destroy the socket after `afterBytes` body bytes or after
 *                      `afterFragments` complete fragments (whichever is set).
 * - `fail-call`        fail the call with an API error: `error` is an exception type
 *                      (InternalFailure → 500, ClientLimitExceededException, ResourceNotFoundException, ...).
 * - `not-authorized`   PutMedia: 401 NotAuthorizedException (an expired token).
 * - `error-ack`        PutMedia: ERROR ack `errorId` for the session's `fragment`-th fragment
 *                      (instead of RECEIVED/PERSISTED); `close` also ends the response.
 * - `withhold-acks`    PutMedia: hold every ACK of the session for `ms` ms, then release them in order.
 * - `slow-read`        PutMedia: read the body at `bytesPerSecond` (slow uplink).
 * - `stall`            PutMedia: the network freezes for `ms` ms from the first time it fires: that
 *                      session, and every PutMedia that starts before the freeze ends (give
 *                      `times: 0`), reads nothing and sends nothing until it ends, then carries on.
 * - `black-hole`       accept the request and never answer (the connection stays open).
 * - `reset`            reset the TCP connection (RST) as soon as the request arrives.
 */

export type FaultKind = 'drop-connection' | 'fail-call' | 'not-authorized' | 'error-ack' | 'withhold-acks' | 'slow-read' | 'stall' | 'black-hole' | 'reset';

export type FaultSpec = {
  kind: FaultKind;
  /** API name (e.g. 'PutMedia', 'DescribeStream'), or 'control' for any control-plane API, or '*'. */
  api?: string;
  stream?: string;
  /** First matching call that triggers the fault (1-based, default 1). */
  call?: number;
  /** How many times the fault fires (default 1; 0 = unlimited). */
  times?: number;
  afterBytes?: number;
  afterFragments?: number;
  error?: string;
  message?: string;
  fragment?: number;
  errorId?: number;
  close?: boolean;
  ms?: number;
  bytesPerSecond?: number;
  /** Fire only within this many ms of the first firing. */
  forMs?: number;
};

export type ActiveFault = FaultSpec & { id: number; seen: number; fired: number; /** End of the `forMs` window (or of a stall). */ untilMs?: number };

export const CONTROL_APIS = new Set([
  'CreateStream',
  'DescribeStream',
  'GetDataEndpoint',
  'ListStreams',
  'DeleteStream',
  'UpdateDataRetention',
  'UpdateStream',
  'TagStream',
  'UntagStream',
  'ListTagsForStream',
]);

const PUT_MEDIA_ONLY: ReadonlySet<FaultKind> = new Set(['drop-connection', 'not-authorized', 'error-ack', 'withhold-acks', 'slow-read', 'stall']);

function defaultApi(kind: FaultKind): string {
  return kind === 'fail-call' ? 'control' : 'PutMedia';
}

export function validateFault(spec: FaultSpec): string | undefined {
  const n = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (!['drop-connection', 'fail-call', 'not-authorized', 'error-ack', 'withhold-acks', 'slow-read', 'stall', 'black-hole', 'reset'].includes(spec.kind)) {
    return `unknown fault kind "${String(spec.kind)}"`;
  }
  for (const k of ['call', 'times', 'afterBytes', 'afterFragments', 'fragment', 'errorId', 'ms', 'bytesPerSecond', 'forMs'] as const) {
    if (!n(spec[k])) return `fault option "${k}" must be a non-negative number`;
  }
  const api = spec.api ?? defaultApi(spec.kind);
  if (PUT_MEDIA_ONLY.has(spec.kind) && api !== 'PutMedia') return `fault "${spec.kind}" applies to PutMedia only`;
  if (spec.kind === 'drop-connection' && spec.afterBytes === undefined && spec.afterFragments === undefined) {
    return 'fault "drop-connection" needs afterBytes or afterFragments';
  }
  if (spec.kind === 'fail-call' && !spec.error) return 'fault "fail-call" needs error (e.g. InternalFailure, ClientLimitExceededException, ResourceNotFoundException)';
  if (spec.kind === 'error-ack' && (spec.fragment === undefined || spec.errorId === undefined)) return 'fault "error-ack" needs fragment and errorId';
  if (spec.kind === 'withhold-acks' && spec.ms === undefined) return 'fault "withhold-acks" needs ms';
  if (spec.kind === 'stall' && spec.ms === undefined) return 'fault "stall" needs ms';
  if (spec.kind === 'slow-read' && !spec.bytesPerSecond) return 'fault "slow-read" needs bytesPerSecond > 0';
  return undefined;
}

export type FaultRegistry = {
  add(spec: FaultSpec): number;
  remove(id: number): void;
  clear(): void;
  list(): ActiveFault[];
  /** Counts this call against every matching fault and returns the ones that fire now. */
  take(api: string, stream: string | undefined): ActiveFault[];
};

export function createFaultRegistry(initial: readonly FaultSpec[] = []): FaultRegistry {
  let nextId = 1;
  let faults: ActiveFault[] = [];
  const registry: FaultRegistry = {
    add(spec) {
      const problem = validateFault(spec);
      if (problem) throw new TypeError(problem);
      const id = nextId++;
      faults.push({ ...spec, id, seen: 0, fired: 0 });
      return id;
    },
    remove(id) {
      faults = faults.filter((f) => f.id !== id);
    },
    clear() {
      faults = [];
    },
    list() {
      return faults.map((f) => ({ ...f }));
    },
    take(api, stream) {
      const firing: ActiveFault[] = [];
      for (const f of faults) {
        const want = f.api ?? defaultApi(f.kind);
        const apiMatches = want === '*' || want === api || (want === 'control' && CONTROL_APIS.has(api));
        if (!apiMatches) continue;
        if (f.stream !== undefined && f.stream !== stream) continue;
        f.seen++;
        const times = f.times ?? 1;
        if (f.seen < (f.call ?? 1)) continue;
        if (times !== 0 && f.fired >= times) continue;
        const windowMs = f.kind === 'stall' ? f.ms : f.forMs;
        if (windowMs !== undefined) {
          f.untilMs ??= Date.now() + windowMs;
          if (Date.now() >= f.untilMs) continue;
        }
        f.fired++;
        firing.push({ ...f });
      }
      return firing;
    },
  };
  for (const spec of initial) registry.add(spec);
  return registry;
}

/**
 * Parses the CLI form `kind[:key=value,key=value...]`, e.g.
 * `drop-connection:afterBytes=4096,call=2` or `fail-call:api=DescribeStream,error=InternalFailure`.
 */
export function parseFaultFlag(text: string): FaultSpec {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim() as FaultKind;
  const spec: Record<string, unknown> = { kind };
  if (colon >= 0) {
    for (const part of text.slice(colon + 1).split(',')) {
      if (!part.trim()) continue;
      const eq = part.indexOf('=');
      if (eq < 0) throw new TypeError(`fault option "${part}" is not key=value`);
      const key = part.slice(0, eq).trim();
      const raw = part.slice(eq + 1).trim();
      spec[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    }
  }
  const problem = validateFault(spec as FaultSpec);
  if (problem) throw new TypeError(problem);
  return spec as FaultSpec;
}
