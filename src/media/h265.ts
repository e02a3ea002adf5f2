/**
 * H.265/HEVC: SPS parsing and the HEVCDecoderConfigurationRecord ("hvcC", ISO/IEC 14496-15
 * §8.3.3.1) that Matroska's `V_MPEGH/ISO/HEVC` CodecPrivate holds. The official kvssink sends no
 * CodecPrivate for byte-stream H.265 (research §1.9); kvssink builds it from the in-band
 * VPS/SPS/PPS instead, byte-for-byte like GStreamer's h265parse (arrays VPS, SPS, PPS with
 * array_completeness 0, no VUI-derived fields).
 */
import { BitReader, BitstreamError, nalToRbsp } from './bitstream.js';
import { pushUnique, splitAnnexB } from './annexb.js';
import { MEDIA_STATUS, MediaError } from './errors.js';

/** H.265 nal_unit_type values kvssink looks at (H.265 Table 7-1). */
export const H265_NAL = {
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  SEI_PREFIX: 39,
  SEI_SUFFIX: 40,
} as const;

/** nal_unit_type of an H.265 NAL unit (first header byte >> 1). */
export function h265NalType(nal: Uint8Array): number {
  return ((nal[0] ?? 0) >>> 1) & 0x3f;
}

/** What kvssink needs from an H.265 SPS: the hvcC header fields and the picture size. */
export interface H265Sps {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[32] as an unsigned 32-bit number. */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits of general constraint indicator flags, as 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Displayed size, after the conformance window. */
  width: number;
  height: number;
}

/** Parses an H.265 SPS NAL unit (with its 2-byte header). Throws MediaError INVALID_CODEC_DATA. */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (nal.length < 15 || h265NalType(nal) !== H265_NAL.SPS) {
    throw new MediaError('INVALID_CODEC_DATA', 'Not an H.265 SPS NAL unit', MEDIA_STATUS.INVALID_H264_H265_SPS_NALU);
  }
  try {
    const r = new BitReader(nalToRbsp(nal.subarray(2)));
    r.skip(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = r.bits(3);
    const temporalIdNesting = r.flag();
    // profile_tier_level(1, sps_max_sub_layers_minus1), H.265 §7.3.3
    const generalProfileSpace = r.bits(2);
    const generalTierFlag = r.bits(1);
    const generalProfileIdc = r.bits(5);
    const generalProfileCompatibilityFlags = r.bits(32);
    const generalConstraintIndicatorFlags = new Uint8Array(6);
    for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = r.bits(8);
    const generalLevelIdc = r.bits(8);
    const subProfilePresent: boolean[] = [];
    const subLevelPresent: boolean[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfilePresent.push(r.flag());
      subLevelPresent.push(r.flag());
    }
    if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfilePresent[i]) r.skip(88);
      if (subLevelPresent[i]) r.skip(8);
    }
    r.ue(); // sps_seq_parameter_set_id
    const chromaFormatIdc = r.ue();
    let separateColourPlane = false;
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    const picWidth = r.ue();
    const picHeight = r.ue();
    let confLeft = 0;
    let confRight = 0;
    let confTop = 0;
    let confBottom = 0;
    if (r.flag()) {
      confLeft = r.ue();
      confRight = r.ue();
      confTop = r.ue();
      confBottom = r.ue();
    }
    const bitDepthLuma = r.ue() + 8;
    const bitDepthChroma = r.ue() + 8;
    // Conformance window units (H.265 §7.4.3.2.1, Table 6-1).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const width = picWidth - subWidthC * (confLeft + confRight);
    const height = picHeight - subHeightC * (confTop + confBottom);
    if (width <= 0 || height <= 0) throw new BitstreamError(`bad picture size ${width}x${height}`);
    return {
      generalProfileSpace,
      generalTierFlag,
      generalProfileIdc,
      generalProfileCompatibilityFlags,
      generalConstraintIndicatorFlags,
      generalLevelIdc,
      maxSubLayers: maxSubLayersMinus1 + 1,
      temporalIdNesting,
      chromaFormatIdc,
      bitDepthLuma,
      bitDepthChroma,
      width,
      height,
    };
  } catch (e) {
    if (e instanceof BitstreamError) {
      throw new MediaError('INVALID_CODEC_DATA', `Invalid H.265 SPS: ${e.message}`, MEDIA_STATUS.INVALID_H264_H265_SPS_NALU);
    }
    throw e;
  }
}

/** Parameter sets found in a frame or an hvcC. */
export interface H265ParameterSets {
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/** Collects the distinct VPS, SPS and PPS NAL units of an Annex-B access unit (views into it). */
export function h265ParameterSetsFromAnnexB(frame: Uint8Array): H265ParameterSets {
  const sets: H265ParameterSets = { vps: [], sps: [], pps: [] };
  for (const nal of splitAnnexB(frame)) {
    const t = h265NalType(nal);
    if (t === H265_NAL.VPS) pushUnique(sets.vps, nal);
    else if (t === H265_NAL.SPS) pushUnique(sets.sps, nal);
    else if (t === H265_NAL.PPS) pushUnique(sets.pps, nal);
  }
  return sets;
}

/**
 * Builds an hvcC from VPS/SPS/PPS NAL units (without start codes), header fields from the first
 * SPS, 4-byte NAL lengths. Throws MediaError INVALID_CODEC_DATA unless all three kinds are present.
 */
export function buildHvcC(sets: H265ParameterSets): Uint8Array {
  const firstSps = sets.sps[0];
  if (sets.vps.length === 0 || !firstSps || sets.pps.length === 0) {
    throw new MediaError('INVALID_CODEC_DATA', 'hvcC needs at least one VPS, SPS and PPS', MEDIA_STATUS.ANNEXB_CPD_MISSING);
  }
  const sps = parseH265Sps(firstSps);
  const arrays: [number, Uint8Array[]][] = [
    [H265_NAL.VPS, sets.vps],
    [H265_NAL.SPS, sets.sps],
    [H265_NAL.PPS, sets.pps],
  ];
  let size = 23;
  for (const [, nals] of arrays) {
    size += 3;
    for (const n of nals) size += 2 + n.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1; // configurationVersion
  out[1] = (sps.generalProfileSpace << 6) | (sps.generalTierFlag << 5) | sps.generalProfileIdc;
  view.setUint32(2, sps.generalProfileCompatibilityFlags);
  out.set(sps.generalConstraintIndicatorFlags, 6);
  out[12] = sps.generalLevelIdc;
  view.setUint16(13, 0xf000); // reserved 1111 + min_spatial_segmentation_idc 0 (unknown without VUI)
  out[15] = 0xfc; // reserved 111111 + parallelismType 0 (unknown)
  out[16] = 0xfc | sps.chromaFormatIdc;
  out[17] = 0xf8 | (sps.bitDepthLuma - 8);
  out[18] = 0xf8 | (sps.bitDepthChroma - 8);
  view.setUint16(19, 0); // avgFrameRate: unspecified
  // constantFrameRate 0 | numTemporalLayers | temporalIdNested | lengthSizeMinusOne 3
  out[21] = ((sps.maxSubLayers & 7) << 3) | ((sps.temporalIdNesting ? 1 : 0) << 2) | 3;
  out[22] = arrays.length;
  let o = 23;
  for (const [type, nals] of arrays) {
    out[o++] = type; // array_completeness 0, reserved 0, NAL_unit_type
    view.setUint16(o, nals.length);
    o += 2;
    for (const n of nals) {
      view.setUint16(o, n.length);
      o += 2;
      out.set(n, o);
      o += n.length;
    }
  }
  return out;
}

/** A parsed hvcC. */
export interface HvcC extends H265ParameterSets {
  nalLengthSize: number;
}

/** Parses an hvcC (codec_data of `stream-format=hvc1`/`hev1`). Throws MediaError INVALID_CODEC_DATA. */
export function parseHvcC(data: Uint8Array): HvcC {
  const bad = (why: string): never => {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid hvcC: ${why}`, MEDIA_STATUS.INVALID_HEVC_FORMAT);
  };
  if (data.length < 23 || data[0] !== 1) bad('not version 1');
  const nalLengthSize = ((data[21] as number) & 3) + 1;
  if (nalLengthSize === 3) bad('3-byte NAL lengths');
  const sets: HvcC = { vps: [], sps: [], pps: [], nalLengthSize };
  const numArrays = data[22] as number;
  let o = 23;
  for (let a = 0; a < numArrays; a++) {
    if (o + 3 > data.length) bad('truncated');
    const type = (data[o] as number) & 0x3f;
    const count = ((data[o + 1] as number) << 8) | (data[o + 2] as number);
    o += 3;
    for (let k = 0; k < count; k++) {
      if (o + 2 > data.length) bad('truncated');
      const len = ((data[o] as number) << 8) | (data[o + 1] as number);
      o += 2;
      if (o + len > data.length) bad('truncated');
      const nal = data.subarray(o, o + len);
      o += len;
      if (type === H265_NAL.VPS) sets.vps.push(nal);
      else if (type === H265_NAL.SPS) sets.sps.push(nal);
      else if (type === H265_NAL.PPS) sets.pps.push(nal);
    }
  }
  return sets;
}
