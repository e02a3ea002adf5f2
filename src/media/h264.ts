/**
 * H.264: SPS parsing (for the track's pixel size) and the AVCDecoderConfigurationRecord ("avcC",
 * ISO/IEC 14496-15 §5.3.3.1) that Matroska's `V_MPEG4/ISO/AVC` CodecPrivate holds.
 * Built byte-for-byte like GStreamer's h264parse (no high-profile extension fields), so a
 * byte-stream pipeline gets the same CodecPrivate an `stream-format=avc` one would.
 */
import { BitReader, BitstreamError, nalToRbsp } from './bitstream.js';
import { pushUnique, splitAnnexB } from './annexb.js';
import { MEDIA_STATUS, MediaError } from './errors.js';

/** H.264 nal_unit_type values kvssink looks at (H.264 Table 7-1). */
export const H264_NAL = {
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
} as const;

/** nal_unit_type of an H.264 NAL unit (header byte & 0x1f). */
export function h264NalType(nal: Uint8Array): number {
  return (nal[0] ?? 0) & 0x1f;
}

/** What kvssink needs from an H.264 SPS. */
export interface H264Sps {
  profileIdc: number;
  /** constraint_set0..5 flags + reserved bits: the avcC "profile_compatibility" byte. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Displayed size, after frame cropping. */
  width: number;
  height: number;
}

// Profiles whose SPS carries chroma_format_idc and bit depths (H.264 §7.3.2.1.1).
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses an H.264 SPS NAL unit (with its header byte). Throws MediaError INVALID_CODEC_DATA. */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4 || h264NalType(nal) !== H264_NAL.SPS) {
    throw new MediaError('INVALID_CODEC_DATA', 'Not an H.264 SPS NAL unit', MEDIA_STATUS.INVALID_H264_H265_SPS_NALU);
  }
  try {
    const r = new BitReader(nalToRbsp(nal.subarray(1)));
    const profileIdc = r.bits(8);
    const constraintFlags = r.bits(8);
    const levelIdc = r.bits(8);
    const spsId = r.ue();
    let chromaFormatIdc = 1;
    let separateColourPlane = false;
    let bitDepthLuma = 8;
    let bitDepthChroma = 8;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc === 3) separateColourPlane = r.flag();
      bitDepthLuma = r.ue() + 8;
      bitDepthChroma = r.ue() + 8;
      r.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (r.flag()) {
        const lists = chromaFormatIdc !== 3 ? 8 : 12;
        for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) {
      r.ue(); // log2_max_pic_order_cnt_lsb_minus4
    } else if (pocType === 1) {
      r.skip(1); // delta_pic_order_always_zero_flag
      r.se(); // offset_for_non_ref_pic
      r.se(); // offset_for_top_to_bottom_field
      const cycle = r.ue();
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.skip(1); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.flag();
    if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
    r.skip(1); // direct_8x8_inference_flag
    let cropLeft = 0;
    let cropRight = 0;
    let cropTop = 0;
    let cropBottom = 0;
    if (r.flag()) {
      cropLeft = r.ue();
      cropRight = r.ue();
      cropTop = r.ue();
      cropBottom = r.ue();
    }
    // Crop units (H.264 §7.4.2.1.1, Table 6-1): chroma subsampling, doubled vertically for field coding.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const fieldFactor = frameMbsOnly ? 1 : 2;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * fieldFactor;
    const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
    const height = fieldFactor * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
    if (width <= 0 || height <= 0) throw new BitstreamError(`bad picture size ${width}x${height}`);
    return { profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
  } catch (e) {
    if (e instanceof BitstreamError) {
      throw new MediaError('INVALID_CODEC_DATA', `Invalid H.264 SPS: ${e.message}`, MEDIA_STATUS.INVALID_H264_H265_SPS_NALU);
    }
    throw e;
  }
}

/** Parameter sets found in a frame or an avcC. */
export interface H264ParameterSets {
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/** Collects the distinct SPS and PPS NAL units of an Annex-B access unit (views into it). */
export function h264ParameterSetsFromAnnexB(frame: Uint8Array): H264ParameterSets {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (const nal of splitAnnexB(frame)) {
    const t = h264NalType(nal);
    if (t === H264_NAL.SPS) pushUnique(sps, nal);
    else if (t === H264_NAL.PPS) pushUnique(pps, nal);
  }
  return { sps, pps };
}

/**
 * Builds an avcC from SPS/PPS NAL units (without start codes): version 1, profile/compat/level
 * from the first SPS, 4-byte NAL lengths. Throws MediaError INVALID_CODEC_DATA without an SPS and a PPS.
 */
export function buildAvcC(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (!first || pps.length === 0) {
    throw new MediaError('INVALID_CODEC_DATA', 'avcC needs at least one SPS and one PPS', MEDIA_STATUS.ANNEXB_CPD_MISSING);
  }
  parseH264Sps(first); // refuse a broken SPS here rather than in every player
  if (sps.length > 31 || pps.length > 255) throw new MediaError('INVALID_CODEC_DATA', 'Too many parameter sets for avcC');
  let size = 7;
  for (const s of sps) size += 2 + s.length;
  for (const p of pps) size += 2 + p.length;
  const out = new Uint8Array(size);
  out[0] = 1; // configurationVersion
  out[1] = first[1] as number; // AVCProfileIndication
  out[2] = first[2] as number; // profile_compatibility
  out[3] = first[3] as number; // AVCLevelIndication
  out[4] = 0xfc | 3; // reserved 111111 + lengthSizeMinusOne
  out[5] = 0xe0 | sps.length; // reserved 111 + numOfSequenceParameterSets
  let o = 6;
  for (const s of sps) {
    out[o++] = s.length >>> 8;
    out[o++] = s.length & 0xff;
    out.set(s, o);
    o += s.length;
  }
  out[o++] = pps.length;
  for (const p of pps) {
    out[o++] = p.length >>> 8;
    out[o++] = p.length & 0xff;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A parsed avcC. */
export interface AvcC extends H264ParameterSets {
  profileIdc: number;
  levelIdc: number;
  /** Bytes of each NAL length prefix in frames (1, 2 or 4). */
  nalLengthSize: number;
}

/** Parses an avcC (codec_data of `stream-format=avc`). Throws MediaError INVALID_CODEC_DATA. */
export function parseAvcC(data: Uint8Array): AvcC {
  const bad = (why: string): never => {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid avcC: ${why}`, MEDIA_STATUS.INVALID_H264_H265_CODEC_PRIVATE_DATA);
  };
  if (data.length < 7 || data[0] !== 1) bad('not version 1');
  const nalLengthSize = ((data[4] as number) & 3) + 1;
  if (nalLengthSize === 3) bad('3-byte NAL lengths');
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  let o = 5;
  const read = (count: number, into: Uint8Array[]): void => {
    for (let k = 0; k < count; k++) {
      if (o + 2 > data.length) bad('truncated');
      const len = ((data[o] as number) << 8) | (data[o + 1] as number);
      o += 2;
      if (o + len > data.length) bad('truncated');
      into.push(data.subarray(o, o + len));
      o += len;
    }
  };
  read((data[o++] as number) & 0x1f, sps);
  if (o >= data.length) bad('no PPS count');
  read(data[o++] as number, pps);
  return { profileIdc: data[1] as number, levelIdc: data[3] as number, nalLengthSize, sps, pps };
}

/** Converts an Annex-B SPS/PPS sequence (codec_data some encoders put in byte-stream caps) to avcC. */
export function annexBToAvcC(data: Uint8Array): Uint8Array {
  const { sps, pps } = h264ParameterSetsFromAnnexB(data);
  return buildAvcC(sps, pps);
}
