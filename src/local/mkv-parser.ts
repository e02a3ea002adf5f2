/**
 * Incremental (push) Matroska parser for PutMedia bodies. Bytes arrive in arbitrary chunks;
 * the parser returns the events it can decide so far. It understands exactly the shape a
 * KVS producer sends: EBML header, one Segment (usually unknown size), Info, Tracks, then
 * Clusters (usually unknown size) and Tags elements. An unknown-size Cluster ends where a
 * level-0/level-1 element starts (another Cluster, Tags, ...) or where the body ends.
 *
 * The parser buffers one child element at a time (a SimpleBlock, Info, Tracks, Tags), never
 * a whole cluster: the cluster's bytes are handed out piece by piece in `cluster-data` events.
 */
import { EbmlId } from '../mkv/ebml-id.js';
import { children, readId, readSize, readUint } from './ebml.js';

export type TrackInfo = {
  number: number;
  uid?: bigint;
  type?: number;
  codecId?: string;
  codecPrivate?: Buffer;
  name?: string;
  defaultDurationNs?: number;
};

export type SimpleTagValue = { name: string; value: string };

export type MkvEvent =
  | { type: 'ebml-header'; bytes: Buffer; docType: string }
  | { type: 'segment'; headerBytes: Buffer; unknownSize: boolean }
  | { type: 'info'; bytes: Buffer; timestampScaleNs: number }
  | { type: 'tracks'; bytes: Buffer; tracks: TrackInfo[] }
  | { type: 'cluster-start'; headerBytes: Buffer; unknownSize: boolean }
  | { type: 'cluster-timecode'; timecode: number }
  /** Raw bytes of one child of the current cluster (Timestamp, SimpleBlock, BlockGroup, ...). */
  | { type: 'cluster-data'; bytes: Buffer }
  | { type: 'block'; track: number; timecode: number; keyframe: boolean; frames: number; durationTicks?: number; bytes: number }
  | { type: 'cluster-end' }
  | { type: 'tags'; bytes: Buffer; simpleTags: SimpleTagValue[] }
  /** Another level-1 element (SeekHead, Cues, Void, ...), passed through unparsed. */
  | { type: 'other'; id: number; bytes: Buffer }
  | { type: 'segment-end' };

export type MkvParseErrorCode = 'INVALID_MKV' | 'MULTIPLE_SEGMENTS' | 'ELEMENT_TOO_LARGE' | 'TRUNCATED';

export class MkvParseError extends Error {
  override name = 'MkvParseError';
  /** Events completed by the same push() before the error (e.g. the cluster-end it implied). */
  events: MkvEvent[] = [];
  constructor(
    readonly code: MkvParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type MkvParser = {
  /** Feeds bytes; returns the events completed by them. Throws MkvParseError on bad data. */
  push(chunk: Uint8Array): MkvEvent[];
  /** Declares the end of the body; returns the final events (e.g. the last cluster-end). */
  end(): MkvEvent[];
  /** Bytes consumed so far (parsed and handed out). */
  readonly offset: number;
};

export type MkvParserOptions = {
  /** Largest single element the parser will buffer (default 64 MiB). */
  maxElementBytes?: number;
};

const DEFAULT_MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

/** IDs that end an unknown-size Cluster: level-0 and level-1 elements other than Void/CRC. */
const CLUSTER_TERMINATORS = new Set<number>([
  EbmlId.EBML,
  EbmlId.Segment,
  EbmlId.SeekHead,
  EbmlId.Info,
  EbmlId.Tracks,
  EbmlId.Cluster,
  EbmlId.Cues,
  EbmlId.Chapters,
  EbmlId.Attachments,
  EbmlId.Tags,
]);

type Level = 'top' | 'segment' | 'cluster' | 'after-segment';

export function createMkvParser(options: MkvParserOptions = {}): MkvParser {
  const maxElementBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  let chunks: Buffer[] = [];
  let available = 0;
  /** Do not try to parse again until this many bytes are buffered. */
  let needed = 1;
  let consumed = 0;
  let level: Level = 'top';
  let seenEbmlHeader = false;
  let seenSegment = false;
  let segmentRemaining: bigint | null = null;
  let clusterRemaining: bigint | null = null;
  let clusterHasTimecode = false;

  function head(n: number): Buffer {
    const first = chunks[0];
    if (first && first.length >= n) return first;
    const joined = Buffer.concat(chunks, available);
    chunks = [joined];
    return joined;
  }

  function take(n: number): Buffer {
    const buf = head(n);
    const out = buf.subarray(0, n);
    if (buf.length === n) chunks.shift();
    else chunks[0] = buf.subarray(n);
    available -= n;
    consumed += n;
    return out;
  }

  function fail(code: MkvParseErrorCode, message: string): never {
    throw new MkvParseError(code, `${message} (at byte ${consumed})`);
  }

  /** Reads the ID and size at the front of the buffer, or undefined if more bytes are needed. */
  function peekHeader(): { id: number; idLength: number; size: bigint; unknown: boolean; headerLength: number } | undefined {
    const buf = head(Math.min(available, 12));
    try {
      const id = readId(buf, 0);
      if (!id) {
        needed = available + 1;
        return undefined;
      }
      const size = readSize(buf, id.length);
      if (!size) {
        needed = available + 1;
        return undefined;
      }
      return { id: id.id, idLength: id.length, size: size.value, unknown: size.unknown, headerLength: id.length + size.length };
    } catch (err) {
      return fail('INVALID_MKV', (err as Error).message);
    }
  }

  function checkSize(id: number, size: bigint): number {
    if (size > BigInt(maxElementBytes)) {
      fail('ELEMENT_TOO_LARGE', `element 0x${id.toString(16)} of ${size} bytes is larger than ${maxElementBytes}`);
    }
    return Number(size);
  }

  function countSegment(n: number): void {
    if (segmentRemaining === null) return;
    segmentRemaining -= BigInt(n);
    if (segmentRemaining < 0n) fail('INVALID_MKV', 'element overruns the Segment');
  }

  function parseTop(events: MkvEvent[]): boolean {
    const h = peekHeader();
    if (!h) return false;
    if (h.id === EbmlId.EBML) {
      if (seenSegment) fail('MULTIPLE_SEGMENTS', 'more than one MKV segment (second EBML header)');
      if (h.unknown) fail('INVALID_MKV', 'unknown-size EBML header');
      const total = h.headerLength + checkSize(h.id, h.size);
      if (available < total) {
        needed = total;
        return false;
      }
      const bytes = take(total);
      let docType = 'matroska';
      try {
        for (const c of children(bytes.subarray(h.headerLength))) {
          if (c.id === EbmlId.DocType) docType = Buffer.from(c.data).toString('latin1').replace(/\0+$/, '');
        }
      } catch (err) {
        fail('INVALID_MKV', `bad EBML header: ${(err as Error).message}`);
      }
      if (docType !== 'matroska' && docType !== 'webm') fail('INVALID_MKV', `unsupported DocType "${docType}"`);
      seenEbmlHeader = true;
      events.push({ type: 'ebml-header', bytes, docType });
      return true;
    }
    if (!seenEbmlHeader) fail('INVALID_MKV', 'body does not start with an EBML header');
    if (h.id === EbmlId.Segment) {
      if (seenSegment) fail('MULTIPLE_SEGMENTS', 'more than one MKV segment');
      seenSegment = true;
      segmentRemaining = h.unknown ? null : h.size;
      level = 'segment';
      events.push({ type: 'segment', headerBytes: take(h.headerLength), unknownSize: h.unknown });
      return true;
    }
    if (h.id === EbmlId.Void) {
      const total = h.headerLength + checkSize(h.id, h.size);
      if (available < total) {
        needed = total;
        return false;
      }
      take(total);
      return true;
    }
    return fail('INVALID_MKV', `unexpected top-level element 0x${h.id.toString(16)}`);
  }

  function parseSegmentChild(events: MkvEvent[]): boolean {
    if (segmentRemaining === 0n) {
      level = 'after-segment';
      events.push({ type: 'segment-end' });
      return true;
    }
    const h = peekHeader();
    if (!h) return false;
    if (h.id === EbmlId.EBML || h.id === EbmlId.Segment) fail('MULTIPLE_SEGMENTS', 'more than one MKV segment');
    if (h.id === EbmlId.Cluster) {
      clusterRemaining = h.unknown ? null : h.size;
      clusterHasTimecode = false;
      level = 'cluster';
      countSegment(h.headerLength);
      events.push({ type: 'cluster-start', headerBytes: take(h.headerLength), unknownSize: h.unknown });
      return true;
    }
    if (h.unknown) fail('INVALID_MKV', `unknown-size level-1 element 0x${h.id.toString(16)}`);
    const total = h.headerLength + checkSize(h.id, h.size);
    if (available < total) {
      needed = total;
      return false;
    }
    countSegment(total);
    const bytes = take(total);
    const payload = bytes.subarray(h.headerLength);
    try {
      if (h.id === EbmlId.Info) events.push({ type: 'info', bytes, timestampScaleNs: parseInfo(payload) });
      else if (h.id === EbmlId.Tracks) events.push({ type: 'tracks', bytes, tracks: parseTracks(payload) });
      else if (h.id === EbmlId.Tags) events.push({ type: 'tags', bytes, simpleTags: parseTags(payload) });
      else events.push({ type: 'other', id: h.id, bytes });
    } catch (err) {
      if (err instanceof MkvParseError) throw err;
      fail('INVALID_MKV', `bad element 0x${h.id.toString(16)}: ${(err as Error).message}`);
    }
    return true;
  }

  function endCluster(events: MkvEvent[]): void {
    level = 'segment';
    clusterRemaining = null;
    events.push({ type: 'cluster-end' });
  }

  function parseClusterChild(events: MkvEvent[]): boolean {
    if (clusterRemaining === 0n) {
      endCluster(events);
      return true;
    }
    // An unknown-size cluster ends at the next level-0/1 element: peek at the ID alone.
    if (clusterRemaining === null) {
      let id: { id: number; length: number } | undefined;
      try {
        id = readId(head(Math.min(available, 4)), 0);
      } catch (err) {
        fail('INVALID_MKV', (err as Error).message);
      }
      if (!id) {
        needed = available + 1;
        return false;
      }
      if (CLUSTER_TERMINATORS.has(id.id)) {
        endCluster(events);
        return true;
      }
    }
    const h = peekHeader();
    if (!h) return false;
    if (h.unknown) fail('INVALID_MKV', `unknown-size cluster child 0x${h.id.toString(16)}`);
    const total = h.headerLength + checkSize(h.id, h.size);
    if (clusterRemaining !== null && BigInt(total) > clusterRemaining) fail('INVALID_MKV', 'element overruns its Cluster');
    if (available < total) {
      needed = total;
      return false;
    }
    countSegment(total);
    if (clusterRemaining !== null) clusterRemaining -= BigInt(total);
    const bytes = take(total);
    const payload = bytes.subarray(h.headerLength);
    if (h.id === EbmlId.Timestamp) {
      clusterHasTimecode = true;
      events.push({ type: 'cluster-timecode', timecode: Number(readUint(payload)) });
    } else if (h.id === EbmlId.SimpleBlock || h.id === EbmlId.BlockGroup) {
      if (!clusterHasTimecode) fail('INVALID_MKV', 'block before the Cluster Timestamp');
      let block: BlockInfo | undefined;
      try {
        block = h.id === EbmlId.SimpleBlock ? parseBlock(payload, true) : parseBlockGroup(payload);
      } catch {
        block = undefined;
      }
      if (!block) fail('INVALID_MKV', 'malformed block');
      events.push({ type: 'block', ...block, bytes: total });
    }
    events.push({ type: 'cluster-data', bytes });
    return true;
  }

  function run(events: MkvEvent[]): void {
    for (;;) {
      if (level === 'cluster' && clusterRemaining === 0n) {
        endCluster(events);
        continue;
      }
      if (level === 'segment' && segmentRemaining === 0n) {
        level = 'after-segment';
        events.push({ type: 'segment-end' });
        continue;
      }
      if (available === 0 || available < needed) return;
      needed = 1;
      let progressed: boolean;
      switch (level) {
        case 'top':
          progressed = parseTop(events);
          break;
        case 'segment':
          progressed = parseSegmentChild(events);
          break;
        case 'cluster':
          progressed = parseClusterChild(events);
          break;
        case 'after-segment':
          return fail('MULTIPLE_SEGMENTS', 'data after the end of the MKV segment');
      }
      if (!progressed) return;
    }
  }

  return {
    push(chunk) {
      if (chunk.length === 0) return [];
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      available += chunk.length;
      const events: MkvEvent[] = [];
      try {
        run(events);
      } catch (err) {
        if (err instanceof MkvParseError) err.events = events;
        throw err;
      }
      return events;
    },
    end() {
      const events: MkvEvent[] = [];
      needed = 1;
      try {
        run(events);
        if (available > 0) fail('TRUNCATED', `body ended inside an element (${available} bytes left over)`);
        if (level === 'cluster') {
          if (clusterRemaining !== null) fail('TRUNCATED', 'body ended inside a known-size Cluster');
          endCluster(events);
        }
        if (level === 'segment' && segmentRemaining !== null && segmentRemaining > 0n) {
          fail('TRUNCATED', 'body ended inside a known-size Segment');
        }
      } catch (err) {
        if (err instanceof MkvParseError) err.events = events;
        throw err;
      }
      return events;
    },
    get offset() {
      return consumed;
    },
  };
}

function parseInfo(payload: Uint8Array): number {
  let scale = 1_000_000;
  for (const c of children(payload)) {
    if (c.id === EbmlId.TimestampScale) scale = Number(readUint(c.data));
  }
  if (!(scale > 0)) throw new Error('TimestampScale must be positive');
  return scale;
}

export function parseTracks(payload: Uint8Array): TrackInfo[] {
  const tracks: TrackInfo[] = [];
  for (const entry of children(payload)) {
    if (entry.id !== EbmlId.TrackEntry) continue;
    const track: TrackInfo = { number: 0 };
    for (const c of children(entry.data)) {
      switch (c.id) {
        case EbmlId.TrackNumber:
          track.number = Number(readUint(c.data));
          break;
        case EbmlId.TrackUID:
          track.uid = readUint(c.data);
          break;
        case EbmlId.TrackType:
          track.type = Number(readUint(c.data));
          break;
        case EbmlId.CodecID:
          track.codecId = Buffer.from(c.data).toString('latin1').replace(/\0+$/, '');
          break;
        case EbmlId.CodecPrivate:
          track.codecPrivate = Buffer.from(c.data);
          break;
        case EbmlId.Name:
          track.name = Buffer.from(c.data).toString('utf8');
          break;
        case EbmlId.DefaultDuration:
          track.defaultDurationNs = Number(readUint(c.data));
          break;
      }
    }
    tracks.push(track);
  }
  return tracks;
}

export function parseTags(payload: Uint8Array): SimpleTagValue[] {
  const out: SimpleTagValue[] = [];
  const visitSimpleTag = (data: Uint8Array): void => {
    let name = '';
    let value = '';
    for (const c of children(data)) {
      if (c.id === EbmlId.TagName) name = Buffer.from(c.data).toString('utf8');
      else if (c.id === EbmlId.TagString) value = Buffer.from(c.data).toString('utf8');
      else if (c.id === EbmlId.TagBinary) value = Buffer.from(c.data).toString('base64');
      else if (c.id === EbmlId.SimpleTag) visitSimpleTag(c.data);
    }
    out.push({ name, value });
  };
  for (const tag of children(payload)) {
    if (tag.id !== EbmlId.Tag) continue;
    for (const c of children(tag.data)) if (c.id === EbmlId.SimpleTag) visitSimpleTag(c.data);
  }
  return out;
}

type BlockInfo = { track: number; timecode: number; keyframe: boolean; frames: number; durationTicks?: number };

function parseBlock(payload: Uint8Array, simple: boolean): BlockInfo | undefined {
  let track;
  try {
    track = readSize(payload, 0);
  } catch {
    return undefined;
  }
  if (!track || payload.length < track.length + 3) return undefined;
  const p = track.length;
  const timecode = ((payload[p]! << 8) | payload[p + 1]!) << 16 >> 16;
  const flags = payload[p + 2]!;
  let frames = 1;
  if ((flags & 0x06) !== 0) {
    if (payload.length < p + 4) return undefined;
    frames = payload[p + 3]! + 1;
  }
  return { track: Number(track.value), timecode, keyframe: simple ? (flags & 0x80) !== 0 : false, frames };
}

function parseBlockGroup(payload: Uint8Array): BlockInfo | undefined {
  let block: BlockInfo | undefined;
  let hasReference = false;
  let durationTicks: number | undefined;
  for (const c of children(payload)) {
    if (c.id === EbmlId.Block) block = parseBlock(c.data, false);
    else if (c.id === EbmlId.ReferenceBlock) hasReference = true;
    else if (c.id === EbmlId.BlockDuration) durationTicks = Number(readUint(c.data));
  }
  if (!block) return undefined;
  return { ...block, keyframe: !hasReference, ...(durationTicks !== undefined ? { durationTicks } : {}) };
}
