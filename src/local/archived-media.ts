/**
 * Read-back APIs: GetMedia (L9775), ListFragments (L11533) and GetMediaForFragmentList
 * (L11365). Payloads are sequences of chunks (header + tags + cluster) as stored by PutMedia.
 *
 * Visibility: with DataRetentionInHours > 0 fragments are "archived" for the retention period;
 * with 0 they only live in the "service host buffer" (at most 5 minutes and 200 MB, CreateStream
 * reference), which GetMedia reads but ListFragments and GetMediaForFragmentList do not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { readChunk, serviceTags, TAG_CONTINUATION_TOKEN, TAG_ERROR_CODE, TAG_ERROR_ID, TAG_EXCEPTION_ERROR_CODE, TAG_EXCEPTION_MESSAGE, TAG_FRAGMENT_NUMBER, TAG_MILLIS_BEHIND_NOW } from './chunk.js';
import { type LocalContext, type StreamState } from './context.js';
import { resolveStream, type Json } from './control-plane.js';
import { tagsElement } from './ebml.js';
import { apiError, GET_MEDIA_ERROR_TEXT, type ApiError } from './errors.js';
import { recordLatency } from './metrics.js';
import type { FragmentIndexEntry } from './store.js';

export const HOST_BUFFER_MS = 5 * 60 * 1000;
export const HOST_BUFFER_BYTES = 200 * 1000 * 1000;
const MAX_FRAGMENT_LIST = 1000;
const START_SELECTOR_TYPES = ['FRAGMENT_NUMBER', 'SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP', 'NOW', 'EARLIEST', 'CONTINUATION_TOKEN'] as const;

function invalid(message: string): ApiError {
  return apiError('InvalidArgumentException', message);
}

function quotaExceeded(kind: string): ApiError {
  return apiError('ClientLimitExceededException', `Kinesis Video Streams has throttled the request because you have exceeded the ${kind} quota of the stream. Try making the call later.`);
}

function mediaStream(ctx: LocalContext, body: Json): StreamState {
  const stream = resolveStream(ctx, body);
  if (stream.record.status === 'DELETING') throw apiError('ResourceNotFoundException', 'The stream with the given name does not exist.');
  return stream;
}

/** Fragments in the archive (retention > 0, within the retention period). */
export function archivedFragments(ctx: LocalContext, stream: StreamState): FragmentIndexEntry[] {
  const hours = stream.record.dataRetentionInHours;
  if (hours <= 0) return [];
  const oldest = ctx.now() - hours * 3600 * 1000;
  return stream.fragments.filter((f) => f.persisted && f.serverTimestampMs >= oldest);
}

/** Whether GetMedia can still read `f`: archived, or in the host buffer (5 min / 200 MB). */
function readableByGetMedia(ctx: LocalContext, stream: StreamState, f: FragmentIndexEntry, bufferFloorMs: number): boolean {
  const hours = stream.record.dataRetentionInHours;
  const now = ctx.now();
  if (f.persisted && hours > 0 && f.serverTimestampMs >= now - hours * 3600 * 1000) return true;
  return f.serverTimestampMs >= now - HOST_BUFFER_MS && f.serverTimestampMs >= bufferFloorMs;
}

/** Server timestamp below which the host buffer has dropped fragments to stay under 200 MB. */
function hostBufferFloorMs(stream: StreamState): number {
  let total = 0;
  for (let i = stream.fragments.length - 1; i >= 0; i--) {
    const f = stream.fragments[i]!;
    total += f.sizeBytes;
    if (total > HOST_BUFFER_BYTES) return f.serverTimestampMs + 1;
  }
  return 0;
}

function timestampSeconds(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${field} must be a timestamp (epoch seconds)`);
  return v * 1000;
}

function writeAsync(res: ServerResponse, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error('response closed'));
    res.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

export async function getMedia(ctx: LocalContext, req: IncomingMessage, res: ServerResponse, body: Json, reqId: string): Promise<void> {
  const selector = body.StartSelector;
  if (typeof selector !== 'object' || selector === null) throw invalid('StartSelector is required');
  const sel = selector as Json;
  const type = sel.StartSelectorType;
  if (typeof type !== 'string' || !(START_SELECTOR_TYPES as readonly string[]).includes(type)) {
    throw invalid(`StartSelectorType must be one of ${START_SELECTOR_TYPES.join(' | ')}`);
  }
  let after: bigint | undefined;
  let startMs: number | undefined;
  if (type === 'FRAGMENT_NUMBER') {
    if (typeof sel.AfterFragmentNumber !== 'string' || !/^[0-9]{1,128}$/.test(sel.AfterFragmentNumber)) throw invalid('AfterFragmentNumber is required for FRAGMENT_NUMBER and must match ^[0-9]+$');
    after = BigInt(sel.AfterFragmentNumber);
  } else if (type === 'CONTINUATION_TOKEN') {
    if (typeof sel.ContinuationToken !== 'string' || !/^[0-9]{1,128}$/.test(sel.ContinuationToken)) throw invalid('ContinuationToken is required for CONTINUATION_TOKEN and must be a token returned by GetMedia');
    after = BigInt(sel.ContinuationToken);
  } else if (type === 'SERVER_TIMESTAMP' || type === 'PRODUCER_TIMESTAMP') {
    startMs = timestampSeconds(sel.StartTimestamp, 'StartTimestamp');
  }
  const stream = mediaStream(ctx, body);
  const name = stream.record.streamName;
  if (!ctx.limiter.tryAcquire(`GetMedia:${name}`, ctx.options.limits.getMediaTps, ctx.now())) {
    stream.metrics['GetMedia.ConnectionErrors']++;
    throw apiError('ClientLimitExceededException', 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client calls. Try making the call later.');
  }
  if (stream.getMediaConnections >= ctx.options.limits.getMediaConnections) {
    stream.metrics['GetMedia.ConnectionErrors']++;
    throw apiError('ConnectionLimitExceededException', 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client connections.');
  }
  stream.metrics['GetMedia.Requests']++;

  const floor = hostBufferFloorMs(stream);
  const frags = stream.fragments;
  let index: number;
  switch (type) {
    case 'EARLIEST':
      index = frags.findIndex((f) => readableByGetMedia(ctx, stream, f, floor));
      if (index < 0) index = frags.length;
      break;
    case 'NOW':
      index = frags.length > 0 && readableByGetMedia(ctx, stream, frags[frags.length - 1]!, floor) ? frags.length - 1 : frags.length;
      break;
    case 'FRAGMENT_NUMBER':
    case 'CONTINUATION_TOKEN':
      index = frags.findIndex((f) => BigInt(f.fragmentNumber) > after!);
      if (index < 0) index = frags.length;
      break;
    default: {
      // "Start with the chunk containing a fragment with the specified ... timestamp": the first
      // fragment starting at or after it, or the one before when the time falls inside that one.
      const key = type === 'SERVER_TIMESTAMP' ? 'serverTimestampMs' : 'producerTimestampMs';
      index = frags.findIndex((f) => f[key] >= startMs!);
      if (index < 0) index = frags.length;
      const prev = frags[index - 1];
      const exact = index < frags.length && frags[index]![key] === startMs;
      if (prev && !exact && prev[key] < startMs! && (key === 'serverTimestampMs' ? index < frags.length : prev[key] + prev.durationMs > startMs!)) index--;
    }
  }

  stream.getMediaConnections++;
  ctx.trackSocket(req.socket);
  res.on('error', () => {});
  res.writeHead(200, { 'content-type': 'video/webm', 'x-amzn-requestid': reqId, date: new Date().toUTCString() });
  res.flushHeaders();
  let closed = false;
  res.on('close', () => (closed = true));
  ctx.log('info', 'get-media-start', { stream: name, selector: type, index });
  try {
    for (;;) {
      while (index < stream.fragments.length && !closed && !ctx.closing) {
        const f = stream.fragments[index++]!;
        if (!readableByGetMedia(ctx, stream, f, hostBufferFloorMs(stream))) continue;
        let parts;
        try {
          parts = await readChunk(join(stream.dir, f.file), f);
        } catch {
          const errTags = tagsElement([
            [TAG_ERROR_CODE, GET_MEDIA_ERROR_TEXT[4000]!],
            [TAG_ERROR_ID, '4000'],
          ]);
          await writeAsync(res, errTags);
          res.end();
          return;
        }
        const latest = stream.fragments[stream.fragments.length - 1]!;
        const behindMs = Math.max(0, latest.serverTimestampMs - f.serverTimestampMs);
        const trailer = tagsElement([
          [TAG_MILLIS_BEHIND_NOW, String(behindMs)],
          [TAG_CONTINUATION_TOKEN, f.fragmentNumber],
        ]);
        const chunk = Buffer.concat([parts.header, parts.tags, parts.cluster, trailer]);
        await writeAsync(res, chunk);
        const m = stream.metrics;
        m['GetMedia.OutgoingBytes'] += chunk.length;
        m['GetMedia.OutgoingFragments']++;
        m['GetMedia.OutgoingFrames'] += f.frameCount;
        m['GetMedia.MillisBehindNow'] = ctx.now() - f.serverTimestampMs;
        stream.metricsDirty = true;
      }
      if (closed || ctx.closing) break;
      // Caught up: wait for the next fragment, for at most getMediaIdleMs.
      const arrived = await new Promise<boolean>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          stream.fragmentWaiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          stream.fragmentWaiters.delete(wake);
          resolve(false);
        }, ctx.options.getMediaIdleMs);
        stream.fragmentWaiters.add(wake);
      });
      if (!arrived) break;
    }
    if (!res.destroyed && !res.writableEnded) res.end();
  } catch {
    res.destroy();
  } finally {
    stream.getMediaConnections--;
    ctx.saveMetrics(stream);
  }
}

export function listFragments(ctx: LocalContext, body: Json): Json {
  const started = ctx.now();
  const max = body.MaxResults;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) throw invalid('MaxResults must be an integer in 1–1000');
  const maxResults = (max as number | undefined) ?? 1000;
  let offset = 0;
  if (body.NextToken !== undefined && body.NextToken !== null) {
    if (typeof body.NextToken !== 'string' || body.NextToken.length < 1 || body.NextToken.length > 4096) throw invalid('NextToken is not valid');
    const decoded = Number(Buffer.from(body.NextToken, 'base64').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw invalid('NextToken is not valid');
    offset = decoded;
  }
  let range: { key: 'serverTimestampMs' | 'producerTimestampMs'; start: number; end: number } | undefined;
  const selector = body.FragmentSelector;
  if (selector !== undefined && selector !== null) {
    if (typeof selector !== 'object') throw invalid('FragmentSelector must be an object');
    const s = selector as Json;
    if (s.FragmentSelectorType !== 'PRODUCER_TIMESTAMP' && s.FragmentSelectorType !== 'SERVER_TIMESTAMP') throw invalid('FragmentSelectorType must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP');
    const r = s.TimestampRange;
    if (typeof r !== 'object' || r === null) throw invalid('TimestampRange is required');
    const tr = r as Json;
    // The guide prints StartTimeStamp/EndTimeStamp; the service model spells StartTimestamp/EndTimestamp.
    const start = timestampSeconds(tr.StartTimestamp ?? tr.StartTimeStamp, 'StartTimestamp');
    const end = timestampSeconds(tr.EndTimestamp ?? tr.EndTimeStamp, 'EndTimestamp');
    if (end < start) throw invalid('EndTimestamp must not be earlier than StartTimestamp');
    range = { key: s.FragmentSelectorType === 'SERVER_TIMESTAMP' ? 'serverTimestampMs' : 'producerTimestampMs', start, end };
  }
  const stream = mediaStream(ctx, body);
  const m = stream.metrics;
  // "Each ListFragments call consumes MaxResults fragment-metadata quota points."
  if (!stream.metadataQuota.tryTake(maxResults, ctx.now())) throw quotaExceeded('fragment metadata');
  m['ListFragments.Requests']++;
  m['ArchivedFragmentsConsumed.Metadata'] += maxResults;
  // ListFragments: "fragments whose start timestamp satisfies start ≤ ts ≤ end".
  const all = archivedFragments(ctx, stream).filter((f) => !range || (f[range.key] >= range.start && f[range.key] <= range.end));
  const page = all.slice(offset, offset + maxResults);
  const result: Json = {
    Fragments: page.map((f) => ({
      FragmentNumber: f.fragmentNumber,
      FragmentSizeInBytes: f.sizeBytes,
      ProducerTimestamp: f.producerTimestampMs / 1000,
      ServerTimestamp: f.serverTimestampMs / 1000,
      FragmentLengthInMilliseconds: f.durationMs,
    })),
  };
  if (offset + page.length < all.length) result.NextToken = Buffer.from(String(offset + page.length)).toString('base64');
  recordLatency(m, 'ListFragments.Latency', ctx.now() - started);
  stream.metricsDirty = true;
  return result;
}

export async function getMediaForFragmentList(ctx: LocalContext, req: IncomingMessage, res: ServerResponse, body: Json, reqId: string): Promise<void> {
  const list = body.Fragments;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_FRAGMENT_LIST) throw invalid(`Fragments must list 1–${MAX_FRAGMENT_LIST} fragment numbers`);
  for (const n of list) if (typeof n !== 'string' || !/^[0-9]{1,128}$/.test(n)) throw invalid('Each fragment number must match ^[0-9]+$ (1–128 characters)');
  const stream = mediaStream(ctx, body);
  if (stream.gfflConnections >= ctx.options.limits.getMediaForFragmentListConnections) {
    throw apiError('ConnectionLimitExceededException', 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client connections.');
  }
  if (!stream.mediaQuota.tryTake(list.length, ctx.now())) throw quotaExceeded('fragment media');
  const m = stream.metrics;
  m['GetMediaForFragmentList.Requests']++;
  m['ArchivedFragmentsConsumed.Media'] += list.length;
  const archived = new Map(archivedFragments(ctx, stream).map((f) => [f.fragmentNumber, f]));
  stream.gfflConnections++;
  ctx.trackSocket(req.socket);
  res.on('error', () => {});
  res.writeHead(200, { 'content-type': 'video/webm', 'x-amzn-requestid': reqId, date: new Date().toUTCString() });
  try {
    for (const number of list as string[]) {
      const f = archived.get(number);
      let chunk: Buffer;
      let ok = true;
      if (!f) {
        ok = false;
        chunk = tagsElement([
          [TAG_FRAGMENT_NUMBER, number],
          [TAG_EXCEPTION_ERROR_CODE, '4000'],
          [TAG_EXCEPTION_MESSAGE, GET_MEDIA_ERROR_TEXT[4000]!],
        ]);
      } else {
        try {
          const parts = await readChunk(join(stream.dir, f.file), f);
          chunk = Buffer.concat([parts.header, serviceTags(f, 'fragment-list'), parts.cluster]);
        } catch {
          ok = false;
          chunk = tagsElement([
            [TAG_FRAGMENT_NUMBER, number],
            [TAG_EXCEPTION_ERROR_CODE, '5000'],
            [TAG_EXCEPTION_MESSAGE, GET_MEDIA_ERROR_TEXT[5000]!],
          ]);
        }
      }
      await writeAsync(res, chunk);
      m['GetMediaForFragmentList.OutgoingBytes'] += chunk.length;
      if (!ok) break;
      m['GetMediaForFragmentList.OutgoingFragments']++;
      m['GetMediaForFragmentList.OutgoingFrames'] += f!.frameCount;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    stream.gfflConnections--;
    stream.metricsDirty = true;
    ctx.saveMetrics(stream);
  }
}
