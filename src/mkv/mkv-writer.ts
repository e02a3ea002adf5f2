/**
 * The byte pieces of the streamed (append-only) Matroska that kvssink sends on a PutMedia
 * connection: stream header, cluster starts, SimpleBlock headers, and Tags. Pure functions; the
 * frame payloads are never copied: the caller writes a SimpleBlock header and then the payload
 * bytes by reference. What goes where is described in FORMAT.md next to this file.
 */
import { EbmlId, TRACK_TYPE_AUDIO, TRACK_TYPE_VIDEO, END_OF_FRAGMENT_TAG } from './ebml-id.js';
import { type Ebml, EbmlFloat64, UNKNOWN_SIZE, encodeElement, encodeElements, measureVarInt, writeVarInt } from './ebml.js';
import { MkvError } from './errors.js';

/** One TrackEntry. `number` is the SimpleBlock track number; KVS wants it equal to the track id (1, 2, …). */
export interface MkvTrack {
  number: number;
  uid: number | bigint;
  type: 'video' | 'audio';
  name: string;
  codecId: string;
  codecPrivate?: Uint8Array;
  defaultDurationNs?: number;
  video?: { pixelWidth: number; pixelHeight: number };
  audio?: { samplingFrequency: number; channels: number; bitDepth?: number };
}

/** What the stream header says about the segment and its tracks. */
export interface StreamHeaderOptions {
  /** Matroska TimestampScale: nanoseconds per timecode unit (1_000_000 = ms, the KVS default). */
  timecodeScaleNs: number;
  /** 16 bytes; the official element sends all zeros. */
  segmentUuid: Uint8Array;
  title?: string;
  muxingApp: string;
  writingApp: string;
  tracks: readonly MkvTrack[];
}

/** A metadata item as an MKV SimpleTag: string values become TagString, bytes TagBinary. */
export interface MkvTag {
  name: string;
  value: string | Uint8Array;
}

/** Producer SDK limits (kvs-developer-guide.txt L3516–3558). */
export const MAX_CODEC_ID_LENGTH = 32;
export const MAX_TRACK_NAME_LENGTH = 32;
export const MAX_CODEC_PRIVATE_DATA_BYTES = 1024 * 1024;
/** Timecode scale bounds: 100 ns … 1 s (same table). */
export const MIN_TIMECODE_SCALE_NS = 100;
export const MAX_TIMECODE_SCALE_NS = 1_000_000_000;
/** Most tracks a KVS fragment may have (0x5200007a). */
export const MAX_TRACK_COUNT = 3;
/** SimpleBlock timecodes are int16 relative to the cluster timecode. */
export const MIN_BLOCK_TIMECODE = -32768;
export const MAX_BLOCK_TIMECODE = 32767;
/** SimpleBlock flags bit 0x80: the frame is a key frame. */
export const SIMPLE_BLOCK_FLAG_KEYFRAME = 0x80;
/** Largest header {@link encodeSimpleBlockHeader} returns: ID 1 + size 8 + track 1 + timecode 2 + flags 1. */
export const MAX_SIMPLE_BLOCK_HEADER_BYTES = 13;

const SEGMENT_UUID_BYTES = 16;
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

function validateHeader(opts: StreamHeaderOptions): void {
  const { timecodeScaleNs, segmentUuid, tracks } = opts;
  if (!Number.isInteger(timecodeScaleNs) || timecodeScaleNs < MIN_TIMECODE_SCALE_NS || timecodeScaleNs > MAX_TIMECODE_SCALE_NS) {
    throw new MkvError('INVALID_TIMECODE_SCALE', `Timecode scale must be ${MIN_TIMECODE_SCALE_NS}–${MAX_TIMECODE_SCALE_NS} ns, got ${timecodeScaleNs}`);
  }
  if (segmentUuid.length !== SEGMENT_UUID_BYTES) {
    throw new MkvError('INVALID_SEGMENT_UUID', `Segment UUID must be ${SEGMENT_UUID_BYTES} bytes, got ${segmentUuid.length}`);
  }
  if (tracks.length === 0) throw new MkvError('TRACK_INFO_MISSING', 'A stream needs at least one track');
  if (tracks.length > MAX_TRACK_COUNT) {
    throw new MkvError('MAX_TRACK_COUNT_EXCEEDED', `At most ${MAX_TRACK_COUNT} tracks, got ${tracks.length}`);
  }
  const numbers = new Set<number>();
  for (const t of tracks) {
    // SimpleBlock headers here carry a 1-byte track number, which is plenty for ≤3 tracks.
    if (!Number.isInteger(t.number) || t.number < 1 || t.number > 126 || numbers.has(t.number)) {
      throw new MkvError('TRACK_INFO_MISSING', `Track numbers must be distinct integers 1–126, got ${t.number}`);
    }
    numbers.add(t.number);
    if (t.uid === 0 || t.uid === 0n) throw new MkvError('INVALID_TRACK_UID', `Track ${t.number}: TrackUID must not be 0`);
    const codecIdLength = byteLength(t.codecId);
    if (codecIdLength === 0 || codecIdLength > MAX_CODEC_ID_LENGTH) {
      throw new MkvError('INVALID_CODEC_ID_LENGTH', `Track ${t.number}: codec ID must be 1–${MAX_CODEC_ID_LENGTH} bytes: "${t.codecId}"`);
    }
    if (byteLength(t.name) > MAX_TRACK_NAME_LENGTH) {
      throw new MkvError('INVALID_TRACK_NAME_LENGTH', `Track ${t.number}: name must be at most ${MAX_TRACK_NAME_LENGTH} bytes: "${t.name}"`);
    }
    if (t.codecPrivate && t.codecPrivate.length > MAX_CODEC_PRIVATE_DATA_BYTES) {
      throw new MkvError('INVALID_CODEC_PRIVATE_DATA_LENGTH', `Track ${t.number}: codec private data is ${t.codecPrivate.length} bytes, max ${MAX_CODEC_PRIVATE_DATA_BYTES}`);
    }
  }
}

/** The TrackEntry element of one track, in the order the KVS producer writes its children. */
export function trackEntryElement(t: MkvTrack): Ebml {
  return {
    id: EbmlId.TrackEntry,
    data: [
      { id: EbmlId.TrackNumber, data: t.number },
      { id: EbmlId.TrackUID, data: t.uid },
      { id: EbmlId.TrackType, data: t.type === 'video' ? TRACK_TYPE_VIDEO : TRACK_TYPE_AUDIO },
      { id: EbmlId.CodecID, data: t.codecId },
      { id: EbmlId.Name, data: t.name },
      t.codecPrivate && t.codecPrivate.length > 0 ? { id: EbmlId.CodecPrivate, data: t.codecPrivate } : null,
      t.defaultDurationNs !== undefined ? { id: EbmlId.DefaultDuration, data: t.defaultDurationNs } : null,
      t.video
        ? {
            id: EbmlId.Video,
            data: [
              { id: EbmlId.PixelWidth, data: t.video.pixelWidth },
              { id: EbmlId.PixelHeight, data: t.video.pixelHeight },
            ],
          }
        : null,
      t.audio
        ? {
            id: EbmlId.Audio,
            data: [
              { id: EbmlId.SamplingFrequency, data: new EbmlFloat64(t.audio.samplingFrequency) },
              { id: EbmlId.Channels, data: t.audio.channels },
              t.audio.bitDepth !== undefined ? { id: EbmlId.BitDepth, data: t.audio.bitDepth } : null,
            ],
          }
        : null,
    ],
  };
}

/**
 * The element tree of the stream header: the EBML header, then the Segment (unknown size) with
 * Info and Tracks as its first children. There is no SeekHead, Duration or Cues: the stream is
 * append-only. The Segment element here has Info and Tracks as data, so its encoding is the
 * Segment ID, the unknown size, then Info and Tracks; clusters and tags follow on the wire.
 */
export function streamHeaderElements(opts: StreamHeaderOptions): Ebml[] {
  validateHeader(opts);
  return [
    {
      id: EbmlId.EBML,
      data: [
        { id: EbmlId.EBMLVersion, data: 1 },
        { id: EbmlId.EBMLReadVersion, data: 1 },
        { id: EbmlId.EBMLMaxIDLength, data: 4 },
        { id: EbmlId.EBMLMaxSizeLength, data: 8 },
        { id: EbmlId.DocType, data: 'matroska' },
        { id: EbmlId.DocTypeVersion, data: 2 },
        { id: EbmlId.DocTypeReadVersion, data: 2 },
      ],
    },
    {
      id: EbmlId.Segment,
      size: UNKNOWN_SIZE,
      data: [
        {
          id: EbmlId.Info,
          data: [
            { id: EbmlId.SegmentUUID, data: opts.segmentUuid },
            { id: EbmlId.TimestampScale, data: opts.timecodeScaleNs },
            opts.title !== undefined ? { id: EbmlId.Title, data: opts.title } : null,
            { id: EbmlId.MuxingApp, data: opts.muxingApp },
            { id: EbmlId.WritingApp, data: opts.writingApp },
          ],
        },
        { id: EbmlId.Tracks, data: opts.tracks.map(trackEntryElement) },
      ],
    },
  ];
}

/**
 * Encodes the stream header every PutMedia connection starts with (KVS stores it with every
 * fragment as the chunk's "media metadata"). Throws {@link MkvError} for a track KVS would refuse.
 */
export function encodeStreamHeader(opts: StreamHeaderOptions): Uint8Array {
  return encodeElements(streamHeaderElements(opts));
}

/**
 * Converts a GStreamer timestamp (ns) to timecode units, rounding down like the KVS producer's
 * integer division (TIMESTAMP_TO_MKV_TIMECODE). Use it for PTS, DTS and duration alike so
 * that differences stay consistent; the result must stay a safe integer.
 */
export function nsToTimecode(ns: bigint, timecodeScaleNs: number): number {
  const scale = BigInt(timecodeScaleNs);
  let q = ns / scale;
  if (ns < 0n && q * scale !== ns) q -= 1n; // floor, not truncation, for times before the epoch
  const tc = Number(q);
  if (!Number.isSafeInteger(tc)) throw new RangeError(`Timestamp ${ns} ns is out of range at scale ${timecodeScaleNs} ns`);
  return tc;
}

/**
 * Encodes the start of a cluster (one cluster = one KVS fragment): Cluster ID, unknown size, and
 * the cluster Timestamp. The cluster ends where the next level-1 element (Cluster or Tags) begins.
 */
export function encodeClusterStart(clusterTimecode: number): Uint8Array {
  if (!Number.isSafeInteger(clusterTimecode) || clusterTimecode < 0) {
    throw new RangeError(`Cluster timecode must be a non-negative integer, got ${clusterTimecode}`);
  }
  return encodeElement({
    id: EbmlId.Cluster,
    size: UNKNOWN_SIZE,
    data: [{ id: EbmlId.Timestamp, data: clusterTimecode }],
  });
}

/**
 * Writes a SimpleBlock header into `buf` at `offset` and returns the offset after it; the caller
 * then writes `payloadLength` payload bytes. For callers that pool header buffers.
 */
export function writeSimpleBlockHeader(
  buf: Uint8Array,
  offset: number,
  trackNumber: number,
  relativeTimecode: number,
  keyframe: boolean,
  payloadLength: number,
): number {
  if (!Number.isInteger(relativeTimecode) || relativeTimecode < MIN_BLOCK_TIMECODE || relativeTimecode > MAX_BLOCK_TIMECODE) {
    throw new RangeError(`SimpleBlock timecode must be an int16, got ${relativeTimecode}`);
  }
  if (!Number.isInteger(trackNumber) || trackNumber < 1 || trackNumber > 126) {
    throw new RangeError(`SimpleBlock track number must be 1–126, got ${trackNumber}`);
  }
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new RangeError(`SimpleBlock payload length must be a non-negative integer, got ${payloadLength}`);
  }
  // Body = track number (1-byte varint) + int16 timecode + flags + payload.
  const size = 4 + payloadLength;
  let o = offset;
  buf[o++] = EbmlId.SimpleBlock;
  // Hot path: frames are < 256 MiB (KVS caps a whole fragment at 50 MB), so sizes fit 1–4 bytes.
  if (size < 0x7f) {
    buf[o++] = 0x80 | size;
  } else if (size < 0x3fff) {
    buf[o++] = 0x40 | (size >>> 8);
    buf[o++] = size & 0xff;
  } else if (size < 0x1fffff) {
    buf[o++] = 0x20 | (size >>> 16);
    buf[o++] = (size >>> 8) & 0xff;
    buf[o++] = size & 0xff;
  } else if (size < 0xfffffff) {
    buf[o++] = 0x10 | (size >>> 24);
    buf[o++] = (size >>> 16) & 0xff;
    buf[o++] = (size >>> 8) & 0xff;
    buf[o++] = size & 0xff;
  } else {
    o = writeVarInt(buf, o, size);
  }
  buf[o++] = 0x80 | trackNumber;
  const tc = relativeTimecode & 0xffff;
  buf[o++] = tc >>> 8;
  buf[o++] = tc & 0xff;
  buf[o++] = keyframe ? SIMPLE_BLOCK_FLAG_KEYFRAME : 0;
  return o;
}

/**
 * Encodes a SimpleBlock header: ID, size, track number, int16 timecode relative to the cluster,
 * flags (0x80 = key frame). The payload is not included: write it right after, by reference.
 */
export function encodeSimpleBlockHeader(trackNumber: number, relativeTimecode: number, keyframe: boolean, payloadLength: number): Uint8Array {
  const size = 4 + payloadLength;
  const sizeBytes = size < 0x7f ? 1 : size < 0x3fff ? 2 : size < 0x1fffff ? 3 : size < 0xfffffff ? 4 : measureVarInt(size);
  const buf = new Uint8Array(1 + sizeBytes + 4);
  writeSimpleBlockHeader(buf, 0, trackNumber, relativeTimecode, keyframe, payloadLength);
  return buf;
}

/** Options of {@link encodeTags}. */
export interface EncodeTagsOptions {
  /**
   * Adds `Targets { TargetTypeValue }` to the Tag. The KVS producer writes no Targets (and Matroska
   * readers default them to 50, "whole segment"), so the default is to leave it out.
   */
  targetTypeValue?: number;
}

/** The Tags element tree: Tags → Tag → [Targets] + one SimpleTag (TagName, TagString/TagBinary) per item. */
export function tagsElement(tags: readonly MkvTag[], options: EncodeTagsOptions = {}): Ebml {
  return {
    id: EbmlId.Tags,
    data: [
      {
        id: EbmlId.Tag,
        data: [
          options.targetTypeValue !== undefined
            ? { id: EbmlId.Targets, data: [{ id: EbmlId.TargetTypeValue, data: options.targetTypeValue }] }
            : null,
          ...tags.map(
            (t): Ebml => ({
              id: EbmlId.SimpleTag,
              data: [
                { id: EbmlId.TagName, data: t.name },
                typeof t.value === 'string' ? { id: EbmlId.TagString, data: t.value } : { id: EbmlId.TagBinary, data: t.value },
              ],
            }),
          ),
        ],
      },
    ],
  };
}

/** Encodes a Tags element (a level-1 element: on the wire it also ends an open unknown-size cluster). */
export function encodeTags(tags: readonly MkvTag[], options?: EncodeTagsOptions): Uint8Array {
  return encodeElement(tagsElement(tags, options));
}

/**
 * The end-of-fragment marker: a Tags element with the SimpleTag `AWS_KINESISVIDEO_END_OF_FRAGMENT`
 * and an empty string value, as the KVS producer appends after the last cluster (EoFR frame).
 * It tells KVS the open fragment is complete without waiting for the next cluster.
 */
export function encodeEndOfFragmentTags(): Uint8Array {
  return encodeTags([{ name: END_OF_FRAGMENT_TAG, value: '' }]);
}
