/**
 * From a sink pad's caps to a Matroska track: codec ID, CodecPrivate, pixel size or sampling
 * rate, the KVS content type, and how frames must be adapted. Mirrors the official element's caps
 * (research §2.2) and CPD handling (§2.6), plus byte-stream H.264/H.265, whose CodecPrivate is
 * built from the parameter sets of the first key frame (the official element sends none).
 */
import type { MkvTrack } from '../mkv/mkv-writer.js';
import { annexBToLengthPrefixed, startsWithStartCode, type LengthPrefixedPieces } from './annexb.js';
import { aacChannelCount, aacObjectTypeFromProfile, buildAudioSpecificConfig, parseAudioSpecificConfig } from './aac.js';
import { type CapsStructure, capsBuffer, capsInt, capsString, parseCaps } from './caps.js';
import { MEDIA_STATUS, MediaError } from './errors.js';
import { annexBToAvcC, buildAvcC, h264ParameterSetsFromAnnexB, parseAvcC, parseH264Sps } from './h264.js';
import { buildHvcC, h265ParameterSetsFromAnnexB, parseH265Sps, parseHvcC, type H265ParameterSets } from './h265.js';
import { WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW, buildWaveFormatEx } from './wave-format.js';

/** Codecs kvssink streams. */
export type MediaCodec = 'h264' | 'h265' | 'aac' | 'alaw' | 'mulaw';

/** Matroska codec IDs (the KVS producer's values; kvs-developer-guide L4052, digest §0 and §8.1). */
export const CODEC_ID = {
  h264: 'V_MPEG4/ISO/AVC',
  h265: 'V_MPEGH/ISO/HEVC',
  aac: 'A_AAC',
  alaw: 'A_MS/ACM',
  mulaw: 'A_MS/ACM',
} as const satisfies Record<MediaCodec, string>;

/** KVS content types, as the official element derives them from caps. */
export const CONTENT_TYPE = {
  h264: 'video/h264',
  h265: 'video/h265',
  aac: 'audio/aac',
  alaw: 'audio/alaw',
  mulaw: 'audio/mulaw',
} as const satisfies Record<MediaCodec, string>;

/** Options of {@link trackFromCaps}. */
export interface TrackFromCapsOptions {
  trackNumber: number;
  trackName: string;
  /** The `codec-id` property when the user set it; replaces the codec's default ID. */
  codecIdOverride?: string;
  /** TrackUID; defaults to the track number, as the KVS producer writes. */
  trackUid?: number | bigint;
}

/** A track derived from caps, plus what the worker must do with its frames. */
export interface TrackInfo {
  /** The TrackEntry. `codecPrivate` is undefined while {@link TrackInfo.codecPrivatePending}. */
  track: MkvTrack;
  contentType: string;
  kind: 'video' | 'audio';
  codec: MediaCodec;
  /** Frames arrive in Annex-B: pass each through {@link adaptFrame} (zero-copy) before the MKV writer. */
  needsAnnexBConversion: boolean;
  /**
   * CodecPrivate (and maybe the pixel size) must come from the in-band parameter sets of the first
   * key frame: call {@link completeTrackFromFrame} before writing the stream header.
   */
  codecPrivatePending: boolean;
}

function requireInt(s: CapsStructure, field: string, hint: string): number {
  const v = capsInt(s, field);
  if (v === undefined || v <= 0) {
    throw new MediaError('MISSING_CAPS_FIELD', `${s.mediaType} caps need a positive "${field}" field; ${hint}`);
  }
  return v;
}

function checkAlignment(s: CapsStructure, parser: string): void {
  const alignment = capsString(s, 'alignment');
  if (alignment !== undefined && alignment !== 'au') {
    throw new MediaError('UNSUPPORTED_CAPS', `${s.mediaType} with alignment=${alignment} is not supported: add "${parser} ! ${s.mediaType},alignment=au" before kvssink`);
  }
}

function videoTrack(
  opts: TrackFromCapsOptions,
  codec: 'h264' | 'h265',
  codecPrivate: Uint8Array | undefined,
  size: { width: number; height: number } | undefined,
): MkvTrack {
  return {
    number: opts.trackNumber,
    uid: opts.trackUid ?? opts.trackNumber,
    type: 'video',
    name: opts.trackName,
    codecId: opts.codecIdOverride ?? CODEC_ID[codec],
    ...(codecPrivate ? { codecPrivate } : {}),
    ...(size ? { video: { pixelWidth: size.width, pixelHeight: size.height } } : {}),
  };
}

function capsSize(s: CapsStructure): { width: number; height: number } | undefined {
  const width = capsInt(s, 'width');
  const height = capsInt(s, 'height');
  return width !== undefined && height !== undefined && width > 0 && height > 0 ? { width, height } : undefined;
}

/**
 * stream-format, or when the caps omit it, GStreamer's convention: codec_data in
 * avcC/hvcC form (version byte 1) means packetized frames, anything else byte-stream.
 */
function streamFormat(s: CapsStructure, codecData: Uint8Array | undefined, packetized: string): string {
  return capsString(s, 'stream-format') ?? (codecData?.[0] === 1 ? packetized : 'byte-stream');
}

/** What differs between H.264 and H.265 when reading their caps. */
interface VideoCodecSpec {
  codec: 'h264' | 'h265';
  label: string;
  mediaType: string;
  parser: string;
  /** Packetized stream-formats; the first is assumed when caps omit it. */
  packetized: readonly string[];
  /** SPS list of a decoder configuration record (avcC / hvcC). */
  recordSps: (record: Uint8Array) => readonly Uint8Array[];
  parseSps: (sps: Uint8Array) => { width: number; height: number };
  /** Decoder configuration record from Annex-B parameter sets. */
  recordFromAnnexB: (annexB: Uint8Array) => Uint8Array;
}

const H264: VideoCodecSpec = {
  codec: 'h264', label: 'H.264', mediaType: 'video/x-h264', parser: 'h264parse', packetized: ['avc', 'avc3'],
  recordSps: (r) => parseAvcC(r).sps, parseSps: parseH264Sps, recordFromAnnexB: annexBToAvcC,
};

const H265: VideoCodecSpec = {
  codec: 'h265', label: 'H.265', mediaType: 'video/x-h265', parser: 'h265parse', packetized: ['hvc1', 'hev1'],
  recordSps: (r) => parseHvcC(r).sps, parseSps: parseH265Sps,
  recordFromAnnexB: (annexB) => buildHvcC(h265ParameterSetsFromAnnexB(annexB)),
};

function videoFromCaps(s: CapsStructure, opts: TrackFromCapsOptions, spec: VideoCodecSpec): TrackInfo {
  checkAlignment(s, spec.parser);
  const codecData = capsBuffer(s, 'codec_data');
  const format = streamFormat(s, codecData, spec.packetized[0]!);
  const base = { contentType: CONTENT_TYPE[spec.codec], kind: 'video' as const, codec: spec.codec };
  if (spec.packetized.includes(format)) {
    if (!codecData) {
      throw new MediaError('MISSING_CAPS_FIELD', `${spec.mediaType}, stream-format=${format} caps carry no codec_data; put ${spec.parser} before kvssink`, MEDIA_STATUS.ANNEXB_CPD_MISSING);
    }
    let size = capsSize(s);
    const firstSps = spec.recordSps(codecData)[0];
    if (!size && firstSps) size = spec.parseSps(firstSps);
    if (!size) throw new MediaError('MISSING_CAPS_FIELD', `${spec.label} caps give no width/height and codec_data has no SPS; put ${spec.parser} before kvssink`);
    return {
      ...base,
      track: videoTrack(opts, spec.codec, codecData, size),
      needsAnnexBConversion: false,
      codecPrivatePending: false,
    };
  }
  if (format !== 'byte-stream') {
    throw new MediaError('UNSUPPORTED_CAPS', `${spec.label} stream-format=${format} is not supported: use ${spec.packetized.join(', ')} or byte-stream`);
  }
  // Some encoders put Annex-B parameter sets in byte-stream caps; most put them only in-band.
  let codecPrivate: Uint8Array | undefined;
  let size = capsSize(s);
  if (codecData && startsWithStartCode(codecData)) {
    codecPrivate = spec.recordFromAnnexB(codecData);
  } else if (codecData && codecData[0] === 1) {
    codecPrivate = codecData;
  }
  if (codecPrivate && !size) {
    const sps = spec.recordSps(codecPrivate)[0];
    if (sps) size = spec.parseSps(sps);
  }
  return {
    ...base,
    track: videoTrack(opts, spec.codec, codecPrivate, size),
    needsAnnexBConversion: true,
    codecPrivatePending: codecPrivate === undefined || size === undefined,
  };
}

function aacFromCaps(s: CapsStructure, opts: TrackFromCapsOptions): TrackInfo {
  const mpegversion = capsInt(s, 'mpegversion');
  if (mpegversion !== 2 && mpegversion !== 4) {
    throw new MediaError('UNSUPPORTED_CAPS', `audio/mpeg, mpegversion=${mpegversion ?? '(none)'} is not AAC: kvssink takes AAC (mpegversion 2 or 4)`);
  }
  const format = capsString(s, 'stream-format') ?? 'raw';
  if (format !== 'raw') {
    throw new MediaError('UNSUPPORTED_CAPS', `AAC stream-format=${format} is not supported: add "aacparse ! audio/mpeg,stream-format=raw" before kvssink`);
  }
  let codecPrivate = capsBuffer(s, 'codec_data');
  let rate = capsInt(s, 'rate');
  let channels = capsInt(s, 'channels');
  if (codecPrivate) {
    const asc = parseAudioSpecificConfig(codecPrivate);
    rate ??= asc.samplingFrequency;
    channels ??= aacChannelCount(asc.channelConfiguration);
  } else {
    const hint = 'or provide codec_data (aacparse does)';
    rate = requireInt(s, 'rate', hint);
    channels = requireInt(s, 'channels', hint);
    codecPrivate = buildAudioSpecificConfig(aacObjectTypeFromProfile(capsString(s, 'profile')), rate, channels);
  }
  if (rate === undefined || channels === undefined) {
    throw new MediaError('MISSING_CAPS_FIELD', 'AAC caps give no rate/channels and codec_data does not define them');
  }
  return {
    track: {
      number: opts.trackNumber,
      uid: opts.trackUid ?? opts.trackNumber,
      type: 'audio',
      name: opts.trackName,
      codecId: opts.codecIdOverride ?? CODEC_ID.aac,
      codecPrivate,
      audio: { samplingFrequency: rate, channels },
    },
    contentType: CONTENT_TYPE.aac,
    kind: 'audio',
    codec: 'aac',
    needsAnnexBConversion: false,
    codecPrivatePending: false,
  };
}

function g711FromCaps(s: CapsStructure, opts: TrackFromCapsOptions, codec: 'alaw' | 'mulaw'): TrackInfo {
  const rate = requireInt(s, 'rate', 'G.711 needs rate and channels');
  const channels = requireInt(s, 'channels', 'G.711 needs rate and channels');
  const codecPrivate = buildWaveFormatEx({
    formatTag: codec === 'alaw' ? WAVE_FORMAT_ALAW : WAVE_FORMAT_MULAW,
    channels,
    samplesPerSec: rate,
    bitsPerSample: 8,
  });
  return {
    track: {
      number: opts.trackNumber,
      uid: opts.trackUid ?? opts.trackNumber,
      type: 'audio',
      name: opts.trackName,
      codecId: opts.codecIdOverride ?? CODEC_ID[codec],
      codecPrivate,
      audio: { samplingFrequency: rate, channels, bitDepth: 8 },
    },
    contentType: CONTENT_TYPE[codec],
    kind: 'audio',
    codec,
    needsAnnexBConversion: false,
    codecPrivatePending: false,
  };
}

/**
 * Derives the track from a caps string (`gst_caps_to_string` of the pad's caps). Throws
 * {@link MediaError}: INVALID_CAPS, UNSUPPORTED_CAPS, MISSING_CAPS_FIELD or INVALID_CODEC_DATA,
 * each with a message that says what to change in the pipeline.
 */
export function trackFromCaps(caps: string, opts: TrackFromCapsOptions): TrackInfo {
  const s = parseCaps(caps);
  switch (s.mediaType) {
    case 'video/x-h264':
      return videoFromCaps(s, opts, H264);
    case 'video/x-h265':
      return videoFromCaps(s, opts, H265);
    case 'audio/mpeg':
      return aacFromCaps(s, opts);
    case 'audio/x-alaw':
      return g711FromCaps(s, opts, 'alaw');
    case 'audio/x-mulaw':
      return g711FromCaps(s, opts, 'mulaw');
    default:
      throw new MediaError('UNSUPPORTED_CAPS', `kvssink cannot stream ${s.mediaType}: it takes video/x-h264, video/x-h265, audio/mpeg (AAC), audio/x-alaw and audio/x-mulaw`);
  }
}

/**
 * Fills in a pending CodecPrivate (and pixel size) from an Annex-B key frame that carries the
 * parameter sets. Returns the completed TrackInfo, or null when this frame lacks them (keep
 * waiting; frames before it cannot be sent anyway). Throws MediaError INVALID_CODEC_DATA for
 * parameter sets that do not parse.
 */
export function completeTrackFromFrame(info: TrackInfo, frame: Uint8Array): TrackInfo | null {
  if (!info.codecPrivatePending) return info;
  let codecPrivate = info.track.codecPrivate;
  let size: { width: number; height: number } | undefined = info.track.video
    ? { width: info.track.video.pixelWidth, height: info.track.video.pixelHeight }
    : undefined;
  if (info.codec === 'h264') {
    const sets = h264ParameterSetsFromAnnexB(frame);
    const firstSps = sets.sps[0];
    if (!firstSps || sets.pps.length === 0) return null;
    codecPrivate ??= buildAvcC(sets.sps, sets.pps);
    size ??= parseH264Sps(firstSps);
  } else if (info.codec === 'h265') {
    const sets: H265ParameterSets = h265ParameterSetsFromAnnexB(frame);
    const firstSps = sets.sps[0];
    if (!firstSps || sets.vps.length === 0 || sets.pps.length === 0) return null;
    codecPrivate ??= buildHvcC(sets);
    size ??= parseH265Sps(firstSps);
  } else {
    return info;
  }
  return {
    ...info,
    track: { ...info.track, codecPrivate, video: { pixelWidth: size.width, pixelHeight: size.height } },
    codecPrivatePending: false,
  };
}

/**
 * For Annex-B tracks: the track as the in-band parameter sets of this key frame describe it, when
 * they differ from its CodecPrivate (an encoder reconfigured mid-stream, e.g. a new resolution);
 * null when the frame carries none or the same ones. The caller starts a new PutMedia session,
 * since KVS fixes CodecPrivate per session, as for a caps change.
 */
export function trackChangedInBand(info: TrackInfo, frame: Uint8Array): TrackInfo | null {
  if (!info.needsAnnexBConversion || info.codecPrivatePending || !info.track.codecPrivate) return null;
  const fresh = completeTrackFromFrame({ ...info, track: { ...info.track, codecPrivate: undefined,
    ...(info.track.video ? { video: undefined } : {}) }, codecPrivatePending: true }, frame);
  if (!fresh?.track.codecPrivate || Buffer.compare(fresh.track.codecPrivate, info.track.codecPrivate) === 0) return null;
  return fresh;
}

/**
 * Adapts one frame for the MKV writer: Annex-B frames become 4-byte length-prefixed NAL units as
 * zero-copy pieces; other frames pass through. Feed the result to the fragmenter's `payload`.
 */
export function adaptFrame(info: TrackInfo, frame: Uint8Array): Uint8Array | LengthPrefixedPieces['pieces'] {
  return info.needsAnnexBConversion ? annexBToLengthPrefixed(frame).pieces : frame;
}

/** The stream's content type: video first, then audio, comma-separated (`video/h264,audio/aac`). */
export function streamContentType(tracks: readonly TrackInfo[]): string {
  const video = tracks.filter((t) => t.kind === 'video').map((t) => t.contentType);
  const audio = tracks.filter((t) => t.kind === 'audio').map((t) => t.contentType);
  return [...video, ...audio].join(',');
}
