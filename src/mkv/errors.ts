/**
 * Typed errors of the MKV layer. Each carries a stable `code` (branch on it, never on the message)
 * and the KVS producer status code the official SDK reports for the same condition
 * (kvs-developer-guide.txt, "Error Code Reference", ~L3560–3922), so the stream-error record can
 * carry the number users already search for.
 */

/** Stable codes, named after the SDK statuses without their `STATUS_`/`STATUS_MKV_` prefix. */
export const MKV_ERROR_STATUS = {
  INVALID_METADATA_NAME: 0x52000077,
  MAX_FRAGMENT_METADATA_COUNT: 0x52000074,
  INVALID_TAG_NAME_LENGTH: 0x32000020,
  INVALID_TAG_VALUE_LENGTH: 0x32000021,
  INVALID_CODEC_ID_LENGTH: 0x32000006,
  INVALID_TRACK_NAME_LENGTH: 0x32000007,
  INVALID_CODEC_PRIVATE_DATA_LENGTH: 0x32000008,
  INVALID_TIMECODE_SCALE: 0x3200000a,
  INVALID_SEGMENT_UUID: 0x32000027,
  INVALID_TRACK_UID: 0x32000028,
  TRACK_INFO_MISSING: 0x52000079,
  MAX_TRACK_COUNT_EXCEEDED: 0x5200007a,
} as const;

/** One of the {@link MKV_ERROR_STATUS} keys. */
export type MkvErrorCode = keyof typeof MKV_ERROR_STATUS;

/** An input the MKV layer refuses (bad metadata, bad track description). Not retriable. */
export class MkvError extends Error {
  override readonly name = 'MkvError';
  /** The KVS producer SDK status for the same condition, e.g. 0x52000077. */
  readonly kvsStatus: number;

  constructor(
    readonly code: MkvErrorCode,
    message: string,
  ) {
    super(message);
    this.kvsStatus = MKV_ERROR_STATUS[code];
  }
}
