/**
 * PutMedia (PutMedia reference, L9968–10250): header validation, then HTTP 200 and a stream
 * of newline-separated JSON ACKs written while the MKV body is still arriving. Each Cluster is
 * a fragment: BUFFERING when it starts, RECEIVED when it is complete (next Cluster, a Tags
 * element such as the producer's AWS_KINESISVIDEO_END_OF_FRAGMENT, or the end of the body),
 * PERSISTED once the chunk file is on disk (DataRetentionInHours > 0 only), ERROR with the
 * documented ErrorId when a rule is broken, IDLE while no data arrives.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { END_OF_FRAGMENT_TAG } from '../mkv/ebml-id.js';
import { chunkHeader, knownSizeCluster, serviceTags } from './chunk.js';
import { findStreamByArn, STREAM_ARN_PATTERN, STREAM_NAME_PATTERN, type LocalContext, type PutMediaHandle, type StreamState } from './context.js';
import { ackErrorCode, apiError, type ApiError } from './errors.js';
import type { ActiveFault } from './faults.js';
import { recordLatency } from './metrics.js';
import { createMkvParser, MkvParseError, type MkvEvent, type SimpleTagValue, type TrackInfo } from './mkv-parser.js';
import { createTokenBucket } from './rate-limit.js';
import { appendIndex, saveJson, writeDurable, type FragmentIndexEntry } from './store.js';

export type FragmentTimecodeType = 'ABSOLUTE' | 'RELATIVE';

export type PutMediaRequest = {
  stream: StreamState;
  timecodeType: FragmentTimecodeType;
  /** Epoch ms from `x-amzn-producer-start-timestamp` (seconds, decimal). */
  producerStartMs?: number;
  /** When the temporary credentials that signed the request expire (epoch ms). */
  credentialsExpireAtMs?: number;
};

export type Ack =
  | { EventType: 'BUFFERING' | 'RECEIVED' | 'PERSISTED'; FragmentTimecode: number; FragmentNumber: string }
  | { EventType: 'IDLE' }
  | { EventType: 'ERROR'; FragmentTimecode?: number; FragmentNumber?: string; ErrorId: number; ErrorCode: string };

let nextSessionId = 1;

/** Timecode ticks → ms without losing precision on epoch-sized values (µs resolution). */
export function ticksToMs(ticks: number, timestampScaleNs: number): number {
  if (timestampScaleNs % 1_000_000 === 0) return ticks * (timestampScaleNs / 1_000_000);
  const ns = BigInt(Math.round(ticks)) * BigInt(timestampScaleNs);
  return Number(ns / 1000n) / 1000;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Validates the PutMedia request headers and finds the stream (errors as the reference lists them). */
export function validatePutMediaHeaders(ctx: LocalContext, req: IncomingMessage): PutMediaRequest | ApiError {
  const name = header(req, 'x-amzn-stream-name');
  const arn = header(req, 'x-amzn-stream-arn');
  if (name !== undefined && arn !== undefined) return apiError('InvalidArgumentException', 'Specify either x-amzn-stream-name or x-amzn-stream-arn, but not both.');
  if (name === undefined && arn === undefined) return apiError('InvalidArgumentException', 'Either x-amzn-stream-name or x-amzn-stream-arn must be specified.');
  if (name !== undefined && (name.length < 1 || name.length > 256 || !STREAM_NAME_PATTERN.test(name))) {
    return apiError('InvalidArgumentException', `x-amzn-stream-name '${name}' must have length 1–256 and match [a-zA-Z0-9_.-]+`);
  }
  if (arn !== undefined && (arn.length > 1024 || !STREAM_ARN_PATTERN.test(arn))) {
    return apiError('InvalidArgumentException', `x-amzn-stream-arn '${arn}' is not a valid stream ARN`);
  }
  const type = header(req, 'x-amzn-fragment-timecode-type');
  if (type !== 'ABSOLUTE' && type !== 'RELATIVE') {
    return apiError('InvalidArgumentException', `x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, got '${type ?? ''}'`);
  }
  const start = header(req, 'x-amzn-producer-start-timestamp');
  let producerStartMs: number | undefined;
  if (start !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(start.trim())) {
      return apiError('InvalidArgumentException', `x-amzn-producer-start-timestamp must be seconds since the epoch as a decimal (e.g. 1700000000.123), got '${start}'`);
    }
    producerStartMs = Number(start.trim()) * 1000;
  } else if (type === 'RELATIVE') {
    return apiError('InvalidArgumentException', 'x-amzn-producer-start-timestamp is required when x-amzn-fragment-timecode-type is RELATIVE');
  }
  const stream = name !== undefined ? ctx.streams.get(name) : findStreamByArn(ctx, arn!);
  if (stream) ctx.refreshStatus(stream);
  if (!stream || !ctx.streams.has(stream.record.streamName) || stream.record.status === 'DELETING') {
    return apiError('ResourceNotFoundException', 'The stream with the given name does not exist.');
  }
  return { stream, timecodeType: type, ...(producerStartMs !== undefined ? { producerStartMs } : {}) };
}

type TrackStats = { count: number; minTs: number; maxTs: number; lastDurationTicks?: number };

type Fragment = {
  index: number;
  number: string;
  timecode?: number;
  firstByteMs: number;
  serverTimestampMs: number;
  clusterHeaderBytes: number;
  children: Buffer[];
  childrenBytes: number;
  frames: number;
  tracks: Map<number, TrackStats>;
  minTs?: number;
  maxTs?: number;
  failed: boolean;
  metadata: Array<[string, string]>;
  metadataError?: string;
};

type EndReason = 'end-of-body' | 'fatal-error' | 'idle-timeout' | 'replaced' | 'stream-deleted' | 'server-closing' | 'client-disconnected' | 'fault-drop' | 'max-connection-duration';

/**
 * Runs one PutMedia session on an already validated request. Resolves when the session is over.
 */
export function runPutMedia(ctx: LocalContext, req: IncomingMessage, res: ServerResponse, pm: PutMediaRequest, faults: readonly ActiveFault[], reqId: string): Promise<void> {
  const { stream } = pm;
  const opts = ctx.options;
  const limits = opts.limits;
  const sessionId = nextSessionId++;
  const sessionNumber = ++stream.sessions;
  const startedMs = ctx.now();
  const metrics = stream.metrics;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void =>
    ctx.log(level, event, { stream: stream.record.streamName, session: sessionNumber, ...fields });

  const dropFault = faults.find((f) => f.kind === 'drop-connection');
  const errorAckFaults = faults.filter((f) => f.kind === 'error-ack');
  const withhold = faults.find((f) => f.kind === 'withhold-acks');
  const slow = faults.find((f) => f.kind === 'slow-read');
  const slowBucket = slow?.bytesPerSecond ? createTokenBucket(slow.bytesPerSecond, Math.min(slow.bytesPerSecond, 16 * 1024)) : undefined;
  // A stall freezes reading and acknowledging until the freeze ends.
  const stallUntilMs = faults.find((f) => f.kind === 'stall')?.untilMs ?? 0;
  const withholdUntilMs = Math.max(withhold ? startedMs + (withhold.ms ?? 0) : 0, stallUntilMs);

  // Connection limit 1 per stream: "In the case of multiple concurrent connections that exceed
  // limits, the last connection is accepted" (Data Plane API limits).
  for (const old of [...stream.putMedia]) old.terminate('replaced');

  metrics['PutMedia.ActiveConnections']++;
  recordLatency(metrics, 'PutMedia.Latency', ctx.now() - startedMs);
  res.on('error', () => {});
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': reqId, date: new Date().toUTCString() });
  res.flushHeaders();
  ctx.trackSocket(req.socket);
  log('info', 'put-media-start', { timecodeType: pm.timecodeType, producerStartMs: pm.producerStartMs,
    ...(pm.credentialsExpireAtMs !== undefined ? { credentialsExpireAt: new Date(pm.credentialsExpireAtMs).toISOString() } : {}) });

  const rawPath = join(stream.dir, 'sessions', `${sessionNumber}.mkv`);
  // Without raw bodies an empty placeholder keeps the session numbering on disk.
  const raw: WriteStream = createWriteStream(rawPath);
  raw.on('error', (err) => log('error', 'session-file-error', { error: err.message }));
  const keepRaw = opts.keepRawSessions;

  const parser = createMkvParser({ maxElementBytes: limits.maxFragmentBytes + 1024 });
  const ackCounts = { BUFFERING: 0, RECEIVED: 0, PERSISTED: 0, ERROR: 0, IDLE: 0 };
  const withheld: string[] = [];
  let ebmlHeader: Buffer | undefined;
  let infoBytes: Buffer | undefined;
  let tracksBytes: Buffer | undefined;
  let headerBuf: Buffer | undefined;
  let tracks: TrackInfo[] = [];
  let trackError: { errorId: number; message: string } | undefined;
  let timestampScaleNs = 1_000_000;
  let current: Fragment | undefined;
  let fragmentIndex = 0;
  let completedFragments = 0;
  let pendingMetadata: Array<[string, string]> = [];
  let pendingMetadataError: string | undefined;
  let prevMaxTs: number | undefined;
  let bytesReceived = 0;
  let lastDataMs = startedMs;
  let bodyEnded = false;
  let ending = false;
  let endReason: EndReason | undefined;
  let persistChain: Promise<void> = Promise.resolve();
  let holds = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const hold = (): (() => void) => {
    holds++;
    req.pause();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      holds--;
      if (holds === 0 && !ending) req.resume();
    };
  };

  const writeLine = (line: string): void => {
    if (res.destroyed || res.writableEnded) return;
    res.write(line);
  };

  const sendAck = (ack: Ack): void => {
    if (res.destroyed || res.writableEnded) return;
    ackCounts[ack.EventType]++;
    metrics.Acks[ack.EventType]++;
    if (ack.EventType === 'ERROR') {
      metrics['PutMedia.ErrorAckCount']++;
      metrics.ErrorAcks[String(ack.ErrorId)] = (metrics.ErrorAcks[String(ack.ErrorId)] ?? 0) + 1;
    }
    stream.metricsDirty = true;
    const line = `${JSON.stringify(ack)}\n`;
    if (ctx.now() < withholdUntilMs) withheld.push(line);
    else writeLine(line);
  };

  const flushWithheld = (): void => {
    for (const line of withheld.splice(0)) writeLine(line);
  };
  const withholdTimer = withholdUntilMs > 0 ? setTimeout(flushWithheld, Math.max(0, withholdUntilMs - ctx.now())) : undefined;

  const idleTimer = setInterval(() => {
    if (ending || bodyEnded || ctx.now() < stallUntilMs) return;
    const idleMs = ctx.now() - lastDataMs;
    if (idleMs >= opts.idleTimeoutMs) {
      log('info', 'put-media-idle-timeout', { idleMs });
      void finish('idle-timeout', true);
    } else if (idleMs >= opts.idleAckIntervalMs) {
      sendAck({ EventType: 'IDLE' });
    }
  }, opts.idleAckIntervalMs);
  const durationTimer = setTimeout(() => fatal(4003, 'connection duration is greater than the maximum allowed threshold', 'max-connection-duration'), opts.maxConnectionDurationMs);

  const ackFields = (f: Fragment | undefined): { FragmentTimecode?: number; FragmentNumber?: string } =>
    f && f.timecode !== undefined ? { FragmentTimecode: f.timecode, FragmentNumber: f.number } : f ? { FragmentNumber: f.number } : {};

  const errorAck = (f: Fragment | undefined, errorId: number, message: string): void => {
    log('warn', 'error-ack', { fragmentNumber: f?.number, errorId, errorCode: ackErrorCode(errorId), message });
    sendAck({ EventType: 'ERROR', ...ackFields(f), ErrorId: errorId, ErrorCode: ackErrorCode(errorId) });
    metrics['PutMedia.SuccessCount']++;
  };

  /** A fragment-level error: ERROR ack, the fragment is dropped, the session goes on. */
  const failFragment = (f: Fragment, errorId: number, message: string): void => {
    if (f.failed) return;
    f.failed = true;
    f.children = [];
    errorAck(f, errorId, message);
  };

  /** A session-level error: ERROR ack, then the response ends. */
  function fatal(errorId: number, message: string, reason: EndReason = 'fatal-error'): void {
    if (ending) return;
    if (current) current.failed = true;
    errorAck(current, errorId, message);
    // Fragments completed before the error still get their PERSISTED acks.
    void finish(reason, reason !== 'stream-deleted');
  }

  const handle: PutMediaHandle = {
    id: sessionId,
    terminate(reason) {
      log('info', 'put-media-terminated', { reason });
      if (reason === 'stream-deleted') fatal(4008, 'Stream no longer exists (deleted)', 'stream-deleted');
      else void finish(reason, reason === 'replaced');
    },
  };
  stream.putMedia.add(handle);

  function streamProblem(): { errorId: number; message: string } | undefined {
    ctx.refreshStatus(stream);
    if (!ctx.streams.has(stream.record.streamName) || stream.record.status === 'DELETING') return { errorId: 4008, message: 'Stream no longer exists (deleted)' };
    if (stream.record.status !== 'ACTIVE') return { errorId: 4008, message: `Stream is not ACTIVE (${stream.record.status})` };
    const kms = stream.record.kmsKeyId !== undefined ? opts.kmsKeyErrors[stream.record.kmsKeyId] : undefined;
    if (kms !== undefined) return { errorId: kms, message: `KMS key ${stream.record.kmsKeyId} error` };
    return undefined;
  }

  function onTracks(list: TrackInfo[]): void {
    tracks = list;
    const numbers = new Set<number>();
    for (const t of list) {
      if (!(t.number > 0)) return fatal(4006, 'TrackNumber must be a positive integer');
      if (numbers.has(t.number)) return fatal(4006, `duplicate TrackNumber ${t.number}`);
      numbers.add(t.number);
    }
    if (list.length === 0) return fatal(4006, 'Tracks has no TrackEntry');
    // "Fragments containing more than three tracks are not allowed"; 4005's code names this case.
    if (list.length > limits.maxTracks) trackError = { errorId: 4005, message: `${list.length} tracks; at most ${limits.maxTracks} are allowed` };
  }

  function onTags(simpleTags: SimpleTagValue[]): void {
    for (const tag of simpleTags) {
      if (tag.name === END_OF_FRAGMENT_TAG) continue;
      pendingMetadata.push([tag.name, tag.value]);
      if (Buffer.byteLength(tag.name) > 128) pendingMetadataError = `metadata name longer than 128 bytes: '${tag.name.slice(0, 32)}…'`;
      else if (Buffer.byteLength(tag.value) > 256) pendingMetadataError = `metadata value of '${tag.name}' longer than 256 bytes`;
      else if (tag.name.startsWith('AWS')) pendingMetadataError = `metadata name '${tag.name}' must not begin with "AWS"`;
    }
    if (pendingMetadata.length > limits.maxFragmentMetadataItems) pendingMetadataError = `${pendingMetadata.length} metadata items; at most ${limits.maxFragmentMetadataItems} per fragment`;
  }

  function startFragment(clusterHeader: Buffer): void {
    if (!ebmlHeader || !tracksBytes) return fatal(4006, 'Cluster before the EBML header and Tracks');
    const now = ctx.now();
    current = {
      index: ++fragmentIndex,
      number: ctx.nextFragmentNumber(),
      firstByteMs: now,
      serverTimestampMs: now,
      clusterHeaderBytes: clusterHeader.length,
      children: [],
      childrenBytes: 0,
      frames: 0,
      tracks: new Map(),
      failed: false,
      metadata: pendingMetadata,
      ...(pendingMetadataError !== undefined ? { metadataError: pendingMetadataError } : {}),
    };
    pendingMetadata = [];
    pendingMetadataError = undefined;
  }

  function onTimecode(timecode: number): void {
    const f = current;
    if (!f) return;
    f.timecode = timecode;
    const problem = streamProblem();
    if (problem) return fatal(problem.errorId, problem.message, problem.errorId === 4008 ? 'stream-deleted' : 'fatal-error');
    if (trackError) return fatal(trackError.errorId, trackError.message);
    sendAck({ EventType: 'BUFFERING', FragmentTimecode: timecode, FragmentNumber: f.number });
    recordLatency(metrics, 'PutMedia.BufferingAckLatency', ctx.now() - f.firstByteMs);
  }

  function onBlock(ev: Extract<MkvEvent, { type: 'block' }>): void {
    const f = current;
    if (!f || f.failed || f.timecode === undefined) return;
    if (!tracks.some((t) => t.number === ev.track)) {
      return failFragment(f, 4010, `frame for track ${ev.track}, which the MKV header does not declare`);
    }
    const ts = f.timecode + ev.timecode;
    f.frames += ev.frames;
    f.minTs = f.minTs === undefined ? ts : Math.min(f.minTs, ts);
    f.maxTs = f.maxTs === undefined ? ts : Math.max(f.maxTs, ts);
    const t = f.tracks.get(ev.track);
    if (t) {
      t.count += ev.frames;
      t.minTs = Math.min(t.minTs, ts);
      t.maxTs = Math.max(t.maxTs, ts);
      if (ev.durationTicks !== undefined) t.lastDurationTicks = ev.durationTicks;
    } else {
      f.tracks.set(ev.track, { count: ev.frames, minTs: ts, maxTs: ts, ...(ev.durationTicks !== undefined ? { lastDurationTicks: ev.durationTicks } : {}) });
    }
    const spanMs = ticksToMs(f.maxTs - f.minTs, timestampScaleNs);
    if (spanMs > limits.maxFragmentDurationMs) {
      failFragment(f, 4002, `fragment timecodes span ${spanMs} ms; the maximum is ${limits.maxFragmentDurationMs} ms`);
    }
  }

  function onClusterData(bytes: Buffer): void {
    const f = current;
    if (!f || f.failed) return;
    f.children.push(bytes);
    f.childrenBytes += bytes.length;
    if (f.clusterHeaderBytes + f.childrenBytes > limits.maxFragmentBytes) {
      failFragment(f, 4001, `fragment is larger than ${limits.maxFragmentBytes} bytes`);
    }
  }

  function fragmentDurationMs(f: Fragment): number {
    if (f.minTs === undefined) return 0;
    let end = f.minTs;
    for (const [number, t] of f.tracks) {
      const track = tracks.find((x) => x.number === number);
      const defaultTicks = track?.defaultDurationNs ? track.defaultDurationNs / timestampScaleNs : undefined;
      const frameTicks = t.lastDurationTicks ?? defaultTicks ?? (t.count > 1 ? (t.maxTs - t.minTs) / (t.count - 1) : 0);
      end = Math.max(end, t.maxTs + frameTicks);
    }
    return Math.round(ticksToMs(end - f.minTs, timestampScaleNs));
  }

  function producerTimestampMs(timecode: number): number {
    const ms = ticksToMs(timecode, timestampScaleNs);
    return pm.timecodeType === 'RELATIVE' ? (pm.producerStartMs ?? 0) + ms : ms;
  }

  function completeFragment(): void {
    const f = current;
    current = undefined;
    if (!f) return;
    if (f.timecode === undefined) {
      current = f;
      return fatal(4006, 'Cluster without a Timestamp element');
    }
    if (f.failed) return;
    const receivedMs = ctx.now();
    recordLatency(metrics, 'PutMedia.FragmentIngestionLatency', receivedMs - f.firstByteMs);
    if (f.metadataError) return failFragment(f, 4009, f.metadataError);
    const missing = tracks.filter((t) => !f.tracks.has(t.number)).map((t) => t.number);
    if (missing.length > 0) return failFragment(f, 4011, `no frames for track(s) ${missing.join(', ')}`);
    if (prevMaxTs !== undefined && f.minTs! <= prevMaxTs) {
      return failFragment(f, 4004, `earliest frame timecode ${f.minTs} is not after the latest frame timecode ${prevMaxTs} of the previous fragment`);
    }
    const producerMs = producerTimestampMs(f.timecode);
    if (!Number.isFinite(producerMs) || producerMs < 0 || producerMs > receivedMs + opts.producerTimestampFutureLimitMs) {
      return failFragment(f, 4007, `producer timestamp ${producerMs} ms is invalid (more than ${opts.producerTimestampFutureLimitMs} ms in the future or negative)`);
    }
    const injected = errorAckFaults.find((x) => x.fragment === f.index);
    if (injected) {
      failFragment(f, injected.errorId ?? 5000, 'injected fault');
      if (injected.close) void finish('fatal-error', true);
      return;
    }
    prevMaxTs = f.maxTs;
    const timecode = f.timecode;
    const framesPerTrack: Record<number, number> = {};
    for (const [n, t] of f.tracks) framesPerTrack[n] = t.count;
    metrics['PutMedia.IncomingFragments']++;
    metrics['PutMedia.IncomingFrames'] += f.frames;
    sendAck({ EventType: 'RECEIVED', FragmentTimecode: timecode, FragmentNumber: f.number });
    recordLatency(metrics, 'PutMedia.ReceivedAckLatency', ctx.now() - receivedMs);
    const persisted = stream.record.dataRetentionInHours > 0;
    const clusterParts = knownSizeCluster(f.children, f.childrenBytes);
    const clusterBytes = clusterParts.reduce((n, b) => n + b.length, 0);
    headerBuf ??= chunkHeader(ebmlHeader!, infoBytes, tracksBytes!);
    const entry: FragmentIndexEntry = {
      fragmentNumber: f.number,
      producerTimestampMs: producerMs,
      serverTimestampMs: f.serverTimestampMs,
      fragmentTimecode: timecode,
      durationMs: fragmentDurationMs(f),
      frameCount: f.frames,
      framesPerTrack,
      sizeBytes: f.clusterHeaderBytes + f.childrenBytes,
      file: join('fragments', `${f.number}.mkv`),
      headerBytes: headerBuf.length,
      tagsBytes: 0,
      clusterBytes,
      persisted,
      session: sessionNumber,
      ...(f.metadata.length > 0 ? { metadata: f.metadata } : {}),
    };
    const tags = serviceTags(entry, 'get-media');
    entry.tagsBytes = tags.length;
    const header = headerBuf;
    const fragmentNo = ++completedFragments;
    persistChain = persistChain.then(async () => {
      if (endReason === 'fault-drop') return;
      if (ctx.streams.get(stream.record.streamName) !== stream || stream.record.status === 'DELETING') return;
      try {
        await writeDurable(join(stream.dir, entry.file), [header, tags, ...clusterParts], opts.fsync && persisted);
        await appendIndex(stream.dir, entry, opts.fsync && persisted);
      } catch (err) {
        log('error', 'persist-failed', { fragmentNumber: entry.fragmentNumber, error: (err as Error).message });
        errorAck(f, persisted ? 5001 : 5000, (err as Error).message);
        return;
      }
      stream.fragments.push(entry);
      for (const wake of [...stream.fragmentWaiters]) wake();
      metrics['PutMedia.SuccessSum']++;
      metrics['PutMedia.SuccessCount']++;
      if (persisted) {
        recordLatency(metrics, 'PutMedia.FragmentPersistLatency', ctx.now() - receivedMs);
        sendAck({ EventType: 'PERSISTED', FragmentTimecode: timecode, FragmentNumber: entry.fragmentNumber });
        recordLatency(metrics, 'PutMedia.PersistedAckLatency', ctx.now() - receivedMs);
      }
      log('debug', 'fragment-stored', { fragmentNumber: entry.fragmentNumber, frames: entry.frameCount, bytes: entry.sizeBytes, persisted });
      if (dropFault?.afterFragments !== undefined && fragmentNo >= dropFault.afterFragments) drop(`fault: drop after ${dropFault.afterFragments} fragments`);
    });
    ctx.trackWork(persistChain);
  }

  function onEvents(events: MkvEvent[]): void {
    for (const ev of events) {
      if (ending) return;
      switch (ev.type) {
        case 'ebml-header':
          ebmlHeader = ev.bytes;
          break;
        case 'info':
          if (fragmentIndex === 0) {
            infoBytes = ev.bytes;
            timestampScaleNs = ev.timestampScaleNs;
          }
          break;
        case 'tracks':
          // "An MKV stream ... containing disallowed MKV elements (like track*)": Tracks are part
          // of the header; a Tracks element after the first Cluster is rejected.
          if (fragmentIndex > 0) return fatal(4006, 'Tracks element after the first Cluster');
          tracksBytes = ev.bytes;
          onTracks(ev.tracks);
          break;
        case 'tags':
          onTags(ev.simpleTags);
          break;
        case 'cluster-start':
          startFragment(ev.headerBytes);
          break;
        case 'cluster-timecode':
          onTimecode(ev.timecode);
          break;
        case 'block':
          onBlock(ev);
          break;
        case 'cluster-data':
          onClusterData(ev.bytes);
          break;
        case 'cluster-end':
          completeFragment();
          break;
        case 'segment':
        case 'segment-end':
        case 'other':
          break;
      }
    }
  }

  function parse(run: () => MkvEvent[]): void {
    try {
      onEvents(run());
    } catch (err) {
      if (err instanceof MkvParseError) {
        onEvents(err.events);
        if (err.code === 'ELEMENT_TOO_LARGE') {
          if (current) failFragment(current, 4001, err.message);
          fatal(4001, err.message);
        } else {
          fatal(4006, err.message);
        }
      } else {
        log('error', 'internal-error', { error: (err as Error).stack });
        fatal(5000, (err as Error).message);
      }
    }
  }

  function onData(chunk: Buffer): void {
    if (ending) return;
    lastDataMs = ctx.now();
    let data = chunk;
    let dropNow = false;
    if (dropFault?.afterBytes !== undefined && bytesReceived + data.length >= dropFault.afterBytes) {
      data = data.subarray(0, Math.max(0, dropFault.afterBytes - bytesReceived));
      dropNow = true;
    }
    bytesReceived += data.length;
    metrics['PutMedia.IncomingBytes'] += data.length;
    stream.metricsDirty = true;
    if (keepRaw && data.length > 0 && !raw.write(data)) {
      const release = hold();
      raw.once('drain', release);
    }
    parse(() => parser.push(data));
    if (dropNow) return drop(`fault: drop after ${dropFault!.afterBytes} bytes`);
    const now = ctx.now();
    const delayMs = Math.max(stream.ingestBucket.take(data.length, now), slowBucket?.take(data.length, now) ?? 0);
    if (delayMs > 0 && !ending) {
      const release = hold();
      setTimeout(release, delayMs);
    }
  }

  function onEnd(): void {
    bodyEnded = true;
    if (ending) return;
    parse(() => parser.end());
    void finish('end-of-body', true);
  }

  function stopTimers(): void {
    clearInterval(idleTimer);
    clearTimeout(durationTimer);
  }

  function cleanup(reason: EndReason): void {
    if (endReason !== undefined && reason !== endReason) return;
    stopTimers();
    if (withholdTimer) clearTimeout(withholdTimer);
    stream.putMedia.delete(handle);
    metrics['PutMedia.ActiveConnections'] = Math.max(0, metrics['PutMedia.ActiveConnections'] - 1);
    const endedMs = ctx.now();
    // AWS does not document what it does with a session that outlives its credentials; the
    // local endpoint keeps it open and says so, for producers that should rotate first.
    const outlivedCredentials = pm.credentialsExpireAtMs !== undefined && endedMs > pm.credentialsExpireAtMs;
    const summary = {
      session: sessionNumber,
      startedAt: new Date(startedMs).toISOString(),
      endedAt: new Date(endedMs).toISOString(),
      ...(pm.credentialsExpireAtMs !== undefined
        ? { credentialsExpireAt: new Date(pm.credentialsExpireAtMs).toISOString(), outlivedCredentials } : {}),
      timecodeType: pm.timecodeType,
      producerStartTimestampMs: pm.producerStartMs ?? null,
      // What a producer's settings show in (user-agent, fragment-acks), for tests and debugging.
      userAgent: req.headers['user-agent'] ?? null,
      ackRequired: req.headers['x-amzn-fragment-acknowledgment-required'] ?? null,
      bytes: bytesReceived,
      fragments: fragmentIndex,
      acks: ackCounts,
      endReason: reason,
    };
    // The summary is written once the raw body file is complete, so its presence means both are final.
    const written = new Promise<void>((resolve) => raw.end(() => resolve()))
      .then(() => saveJson(join(stream.dir, 'sessions', `${sessionNumber}.json`), summary))
      .catch(() => {});
    ctx.trackWork(written);
    ctx.saveMetrics(stream);
    log(outlivedCredentials ? 'warn' : 'info', 'put-media-end', { reason, bytes: bytesReceived, fragments: fragmentIndex,
      acks: ackCounts, ...(pm.credentialsExpireAtMs !== undefined ? { outlivedCredentials } : {}) });
    resolveDone();
  }

  /** Ends the response politely: pending PERSISTED acks (optionally), withheld acks, then end. */
  async function finish(reason: EndReason, waitPersist: boolean): Promise<void> {
    if (ending) return;
    ending = true;
    endReason = reason;
    stopTimers();
    if (waitPersist) await persistChain;
    const waitMs = withholdUntilMs - ctx.now();
    if (withheld.length > 0 && waitMs > 0 && !ctx.closing) await new Promise((r) => setTimeout(r, waitMs));
    flushWithheld();
    if (!res.destroyed && !res.writableEnded) res.end();
    if (!bodyEnded) {
      // Lingering close: keep reading (and discarding) the body for a while so that the client
      // gets the final ACKs before the socket goes away.
      req.removeAllListeners('data');
      req.resume();
      const timer = setTimeout(() => req.socket.destroy(), opts.lingerMs);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
    }
    cleanup(reason);
  }

  /** Drops the connection abruptly (fault injection). */
  function drop(why: string): void {
    if (ending) return;
    ending = true;
    endReason = 'fault-drop';
    log('info', 'put-media-dropped', { why, bytes: bytesReceived });
    req.pause();
    // Let the ACKs already written reach the client, then drop the connection.
    if (res.destroyed) req.socket.destroy();
    else res.write('', () => req.socket.destroy());
    cleanup('fault-drop');
  }

  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', () => {});
  if (ctx.now() < stallUntilMs) {
    log('info', 'fault-stall', { untilMs: stallUntilMs });
    const release = hold();
    setTimeout(release, stallUntilMs - ctx.now()).unref();
  }
  res.on('close', () => {
    if (!ending) {
      ending = true;
      endReason = 'client-disconnected';
      log('info', 'put-media-client-disconnected', { bytes: bytesReceived });
      cleanup('client-disconnected');
    }
  });
  return done;
}
