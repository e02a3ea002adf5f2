/**
 * Cluster/fragment decisions for the streamed MKV: which frame opens a new Cluster (= one KVS
 * fragment), the SimpleBlock header of every frame, and where fragment metadata (MKV Tags) goes.
 *
 * Rules, as the KVS producer applies them (kvs-developer-guide.txt: StreamDefinition
 * `key_frame_fragmentation`/`fragment_duration`/`timecode_scale` ~L4020–4030, PutMedia ~L9968):
 * - a fragment starts on a video key frame (audio-only: on any frame);
 * - key-frame fragmentation: every video key frame starts a fragment; otherwise the first key
 *   frame at least `fragmentDurationTc` after the current fragment's start does (audio-only
 *   streams always use the duration rule, as the official element forces);
 * - either way, no fragment is shorter than `minFragmentDurationTc`: the service limits give
 *   PutMedia a 1 s minimum fragment duration (MIN_FRAGMENT_DURATION_REACHED, guide ~L5941,
 *   L5949) and 5 fragments/s per stream, and encoders add scene-cut key frames freely;
 * - block timecodes are int16 relative to the cluster timecode, so a cluster is forced before one
 *   would pass +32767, even without a key frame (reported: KVS refuses such a fragment);
 * - frames before the first fragment start (no key frame yet) are dropped and reported.
 */
import { MkvError } from './errors.js';
import {
  MAX_BLOCK_TIMECODE,
  MIN_BLOCK_TIMECODE,
  encodeClusterStart,
  encodeEndOfFragmentTags,
  encodeSimpleBlockHeader,
  encodeTags,
} from './mkv-writer.js';

/** Fragmenter settings, from the element's properties. */
export interface FragmenterConfig {
  /** `key-frame-fragmentation`: a new fragment at every video key frame. */
  keyFrameFragmentation: boolean;
  /** `fragment-duration`, in timecode units: the minimum fragment length when not fragmenting on every key frame. */
  fragmentDurationTc: number;
  /** The video track number; `undefined` for an audio-only stream. */
  videoTrack?: number;
  /** No fragment shorter than this, in timecode units (default 0: no minimum). */
  minFragmentDurationTc?: number;
}

/** One frame, with timestamps already converted to timecode units (integers, e.g. ms since the epoch). */
export interface FragmenterFrame {
  track: number;
  ptsTc: number;
  dtsTc: number;
  durationTc: number;
  keyframe: boolean;
  /** Frames before it are missing (dropped, a discontinuity): a key frame starts a fragment, past the minimum duration. */
  discont?: boolean;
  /** The frame bytes, or several pieces (e.g. length prefixes + NAL units) written back to back. Never copied. */
  payload: Uint8Array | readonly Uint8Array[];
}

/** Why a frame was not written. */
export type DropReason =
  /** No fragment is open yet and this frame cannot start one (not a video key frame). */
  | 'awaiting-key-frame'
  /** PTS more than 32768 timecode units before its cluster's timecode: not representable as int16. */
  | 'timecode-underflow'
  /** A frame that would open a cluster has a negative timecode (cluster timecodes are unsigned). */
  | 'negative-timecode';

/** Something the caller may want to log, count or report. */
export type FragmenterEvent =
  | {
      kind: 'fragment-start';
      /** Cluster timecode = PTS of the frame that opens it; KVS's FragmentTimecode in ACKs. */
      timecode: number;
      /** The opening frame is a key frame. */
      keyframe: boolean;
      /** Opened only because the int16 block timecode would overflow: KVS will refuse this fragment if it lacks a key frame. */
      forced: boolean;
      /** The metadata Tags written just before this cluster (keep them to replay the fragment), or null. */
      tags: Uint8Array | null;
    }
  | { kind: 'frame-dropped'; reason: DropReason; track: number; ptsTc: number };

/** The bytes to send for one frame, in order. Payload pieces are the caller's own arrays. */
export interface FragmenterOutput {
  pieces: Uint8Array[];
  byteLength: number;
  events: readonly FragmenterEvent[];
}

/** Metadata limits (kvs-developer-guide.txt "Streaming Metadata Limitations" ~L915–923, codes L3713–3716). */
export const MAX_FRAGMENT_METADATA_COUNT = 10;
export const MAX_METADATA_NAME_BYTES = 128;
export const MAX_METADATA_VALUE_BYTES = 256;
/** Reserved prefix of metadata names (the service's own tags start with it). */
export const RESERVED_METADATA_PREFIX = 'AWS';

interface MetadataItem {
  name: string;
  persistent: boolean;
  /** The item's own Tags element, encoded once when added. */
  bytes: Uint8Array;
}

const NO_EVENTS: readonly FragmenterEvent[] = Object.freeze([]);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Validates a metadata item the way the KVS producer does (putKinesisVideoFragmentMetadata).
 * Throws {@link MkvError} with code INVALID_METADATA_NAME, INVALID_TAG_NAME_LENGTH or INVALID_TAG_VALUE_LENGTH.
 */
export function validateMetadata(name: string, value: string): void {
  const nameBytes = Buffer.byteLength(name, 'utf8');
  if (nameBytes === 0 || nameBytes > MAX_METADATA_NAME_BYTES) {
    throw new MkvError('INVALID_TAG_NAME_LENGTH', `Metadata name must be 1–${MAX_METADATA_NAME_BYTES} bytes, got ${nameBytes}`);
  }
  if (name.startsWith(RESERVED_METADATA_PREFIX)) {
    throw new MkvError('INVALID_METADATA_NAME', `Metadata name must not start with "${RESERVED_METADATA_PREFIX}": "${name}"`);
  }
  const valueBytes = Buffer.byteLength(value, 'utf8');
  if (valueBytes > MAX_METADATA_VALUE_BYTES) {
    throw new MkvError('INVALID_TAG_VALUE_LENGTH', `Metadata value must be at most ${MAX_METADATA_VALUE_BYTES} bytes, got ${valueBytes}`);
  }
}

/**
 * Turns frames into the byte pieces of the streamed MKV body (everything after the stream header).
 * One instance per stream; it has identity because it holds the open cluster and the metadata queue.
 */
export class Fragmenter {
  private readonly config: Readonly<FragmenterConfig>;
  /** Timecode of the open cluster, or undefined when the next frame must open one. */
  private clusterTc: number | undefined = undefined;
  private readonly metadata: MetadataItem[] = [];

  constructor(config: FragmenterConfig) {
    if (!Number.isInteger(config.fragmentDurationTc) || config.fragmentDurationTc < 0) {
      throw new RangeError(`fragmentDurationTc must be a non-negative integer, got ${config.fragmentDurationTc}`);
    }
    this.config = { ...config };
  }

  /** Timecode of the open cluster (the current fragment), or undefined between fragments. */
  get clusterTimecode(): number | undefined {
    return this.clusterTc;
  }

  /** Number of queued metadata items (persistent ones stay queued). */
  get metadataCount(): number {
    return this.metadata.length;
  }

  /**
   * Processes one frame and returns the bytes to send for it: [metadata Tags] [Cluster start]
   * SimpleBlock header, then the payload piece(s) by reference. A dropped frame yields no pieces.
   */
  /**
   * Whether `frame` would start a new fragment by the fragmentation rules (not counting a cluster
   * forced by timecode overflow): a place where a PutMedia session can end and the next begin.
   */
  startsFragment(frame: Pick<FragmenterFrame, 'track' | 'keyframe' | 'ptsTc' | 'discont'>): boolean {
    const { videoTrack } = this.config;
    const audioOnly = videoTrack === undefined;
    if (!audioOnly && !(frame.track === videoTrack && frame.keyframe)) return false;
    if (this.clusterTc === undefined) return true;
    const rel = frame.ptsTc - this.clusterTc;
    return rel >= (this.config.minFragmentDurationTc ?? 0) &&
      (frame.discont === true || (!audioOnly && this.config.keyFrameFragmentation) || rel >= this.config.fragmentDurationTc);
  }

  push(frame: FragmenterFrame): FragmenterOutput {
    const { videoTrack } = this.config;
    const audioOnly = videoTrack === undefined;
    const canStart = audioOnly || (frame.track === videoTrack && frame.keyframe);
    const pts = frame.ptsTc;

    let start = false;
    let forced = false;
    if (this.clusterTc === undefined) {
      if (!canStart) return this.drop(frame, 'awaiting-key-frame');
      start = true;
    } else {
      const rel = pts - this.clusterTc;
      const longEnough = rel >= (this.config.minFragmentDurationTc ?? 0);
      if (canStart && longEnough && (frame.discont === true || (!audioOnly && this.config.keyFrameFragmentation) ||
        rel >= this.config.fragmentDurationTc)) {
        start = true;
      } else if (rel > MAX_BLOCK_TIMECODE) {
        start = true;
        forced = true;
      } else if (rel < MIN_BLOCK_TIMECODE) {
        return this.drop(frame, 'timecode-underflow');
      }
    }

    const payload = frame.payload;
    let payloadLength = 0;
    if (payload instanceof Uint8Array) payloadLength = payload.length;
    else for (const p of payload) payloadLength += p.length;

    const pieces: Uint8Array[] = [];
    let byteLength = 0;
    let events = NO_EVENTS;
    if (start) {
      if (!Number.isSafeInteger(pts) || pts < 0) return this.drop(frame, 'negative-timecode');
      const tags = this.takeFragmentTags();
      if (tags) {
        pieces.push(tags);
        byteLength += tags.length;
      }
      const cluster = encodeClusterStart(pts);
      pieces.push(cluster);
      byteLength += cluster.length;
      this.clusterTc = pts;
      events = [{ kind: 'fragment-start', timecode: pts, keyframe: frame.keyframe, forced, tags }];
    }

    const header = encodeSimpleBlockHeader(frame.track, pts - (this.clusterTc as number), frame.keyframe, payloadLength);
    pieces.push(header);
    byteLength += header.length + payloadLength;
    if (payload instanceof Uint8Array) pieces.push(payload);
    else for (const p of payload) pieces.push(p);
    return { pieces, byteLength, events };
  }

  /**
   * Queues fragment metadata (the `kvs-add-metadata` event). Non-persistent items go out once, as
   * MKV Tags just before the next fragment's cluster; persistent ones before every fragment until
   * cancelled. A persistent item replaces the queued persistent item of the same name, and an
   * empty value cancels it. Throws {@link MkvError} (INVALID_METADATA_NAME, INVALID_TAG_NAME_LENGTH,
   * INVALID_TAG_VALUE_LENGTH, MAX_FRAGMENT_METADATA_COUNT); a refused item is not queued.
   */
  addMetadata(name: string, value: string, persistent: boolean): void {
    validateMetadata(name, value);
    if (persistent) {
      const i = this.metadata.findIndex((m) => m.persistent && m.name === name);
      if (i >= 0) this.metadata.splice(i, 1);
      if (value === '') return;
    }
    if (this.metadata.length >= MAX_FRAGMENT_METADATA_COUNT) {
      throw new MkvError('MAX_FRAGMENT_METADATA_COUNT', `At most ${MAX_FRAGMENT_METADATA_COUNT} metadata items per fragment; "${name}" was not added`);
    }
    // One Tags element per item, as the KVS producer packages them (mkvgenGenerateTag).
    this.metadata.push({ name, persistent, bytes: encodeTags([{ name, value }]) });
  }

  /**
   * Ends the open fragment (end of stream): returns the not-yet-sent non-persistent metadata Tags
   * followed by the `AWS_KINESISVIDEO_END_OF_FRAGMENT` Tags, which let KVS close the fragment at
   * once. The next frame must open a new fragment (so must be a key frame).
   */
  end(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const m of this.metadata) if (!m.persistent) parts.push(m.bytes);
    this.dropSentMetadata();
    parts.push(encodeEndOfFragmentTags());
    this.clusterTc = undefined;
    return concat(parts);
  }

  /**
   * Forgets the open cluster without writing anything, e.g. when a new PutMedia connection starts
   * (after its stream header, the next frame must open a new fragment). Metadata stays queued.
   */
  reset(): void {
    this.clusterTc = undefined;
  }

  private drop(frame: FragmenterFrame, reason: DropReason): FragmenterOutput {
    return { pieces: [], byteLength: 0, events: [{ kind: 'frame-dropped', reason, track: frame.track, ptsTc: frame.ptsTc }] };
  }

  /** Tags for the fragment about to start: every queued item; non-persistent ones are then dequeued. */
  private takeFragmentTags(): Uint8Array | null {
    if (this.metadata.length === 0) return null;
    const tags = concat(this.metadata.map((m) => m.bytes));
    this.dropSentMetadata();
    return tags;
  }

  private dropSentMetadata(): void {
    let w = 0;
    for (const m of this.metadata) if (m.persistent) this.metadata[w++] = m;
    this.metadata.length = w;
  }
}
