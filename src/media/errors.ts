/**
 * Typed errors of the media layer: caps the worker cannot turn into a KVS track, and codec data
 * that does not parse. Branch on `code`; `kvsStatus` is the producer SDK status for the same
 * condition when there is one (kvs-developer-guide.txt ~L3798–3845), else undefined.
 */

/** Stable error codes of src/media. */
export type MediaErrorCode =
  /** The caps string itself does not parse. */
  | 'INVALID_CAPS'
  /** A media type, stream format or alignment kvssink does not stream. */
  | 'UNSUPPORTED_CAPS'
  /** A field the track needs (rate, channels, codec_data…) is missing. */
  | 'MISSING_CAPS_FIELD'
  /** codec_data or an in-band parameter set does not parse. */
  | 'INVALID_CODEC_DATA';

/** Producer SDK statuses used here. */
export const MEDIA_STATUS = {
  INVALID_H264_H265_CODEC_PRIVATE_DATA: 0x32000012,
  INVALID_H264_H265_SPS_NALU: 0x32000015,
  INVALID_HEVC_FORMAT: 0x32000018,
  INVALID_AAC_CPD: 0x32000025,
  ANNEXB_CPD_MISSING: 0x3200001e,
} as const;

/** A media input kvssink refuses, with a message that says what to change in the pipeline. */
export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    readonly kvsStatus?: number,
  ) {
    super(message);
  }
}
