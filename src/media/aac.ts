/**
 * AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), the CodecPrivate of Matroska `A_AAC`
 * tracks. GStreamer puts it in the caps as `codec_data` for `stream-format=raw`; when it is
 * missing, kvssink builds the 2-byte form from rate, channels and profile, as the KVS producer's
 * mkvgenGenerateAacCpd does.
 */
import { MEDIA_STATUS, MediaError } from './errors.js';

/** samplingFrequencyIndex → Hz (ISO/IEC 14496-3 Table 1.18). */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Audio object types kvssink names (ISO/IEC 14496-3 Table 1.17). */
export const AAC_OBJECT_TYPE = { MAIN: 1, LC: 2, SSR: 3, LTP: 4, SBR: 5 } as const;

/** The fields of an AudioSpecificConfig kvssink uses. */
export interface AudioSpecificConfig {
  objectType: number;
  samplingFrequency: number;
  /** channelConfiguration: 1–6 are that many channels, 7 is 8 channels, 0 is "defined elsewhere". */
  channelConfiguration: number;
}

/** Channel count of a channelConfiguration (0 → undefined: defined in a program config element). */
export function aacChannelCount(channelConfiguration: number): number | undefined {
  if (channelConfiguration >= 1 && channelConfiguration <= 6) return channelConfiguration;
  if (channelConfiguration === 7) return 8;
  return undefined;
}

/** Object type for GStreamer's `profile` caps field (`lc`, `main`, `ssr`, `ltp`); LC otherwise. */
export function aacObjectTypeFromProfile(profile: string | undefined): number {
  switch (profile) {
    case 'main':
      return AAC_OBJECT_TYPE.MAIN;
    case 'ssr':
      return AAC_OBJECT_TYPE.SSR;
    case 'ltp':
      return AAC_OBJECT_TYPE.LTP;
    default:
      // HE-AAC streams signal SBR implicitly inside an LC core, so LC is the right core type too.
      return AAC_OBJECT_TYPE.LC;
  }
}

/**
 * Builds an AudioSpecificConfig: 5 bits object type, 4 bits frequency index (or 15 + 24-bit
 * frequency), 4 bits channel configuration, 3 zero bits (GASpecificConfig).
 */
export function buildAudioSpecificConfig(objectType: number, samplingFrequency: number, channels: number): Uint8Array {
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 30) {
    throw new MediaError('INVALID_CODEC_DATA', `Unsupported AAC object type ${objectType}`, MEDIA_STATUS.INVALID_AAC_CPD);
  }
  const channelConfiguration = channels === 8 ? 7 : channels;
  if (!Number.isInteger(channelConfiguration) || channelConfiguration < 1 || channelConfiguration > 7) {
    throw new MediaError('INVALID_CODEC_DATA', `AAC channel count ${channels} has no channel configuration`, MEDIA_STATUS.INVALID_AAC_CPD);
  }
  if (!Number.isInteger(samplingFrequency) || samplingFrequency <= 0 || samplingFrequency >= 2 ** 24) {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid AAC sampling frequency ${samplingFrequency}`, MEDIA_STATUS.INVALID_AAC_CPD);
  }
  const index = AAC_SAMPLING_FREQUENCIES.indexOf(samplingFrequency);
  if (index >= 0) {
    const v = (objectType << 11) | (index << 7) | (channelConfiguration << 3);
    return Uint8Array.of(v >>> 8, v & 0xff);
  }
  // Escape: frequency index 15 followed by the 24-bit frequency; 5+4+24+4+3 = 40 bits.
  const bits = BigInt(objectType) << 35n | 15n << 31n | BigInt(samplingFrequency) << 7n | BigInt(channelConfiguration) << 3n;
  const out = new Uint8Array(5);
  for (let i = 0; i < 5; i++) out[i] = Number((bits >> BigInt(8 * (4 - i))) & 0xffn);
  return out;
}

/** Parses the leading fields of an AudioSpecificConfig. Throws MediaError INVALID_CODEC_DATA. */
export function parseAudioSpecificConfig(asc: Uint8Array): AudioSpecificConfig {
  const bad = (why: string): never => {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid AAC AudioSpecificConfig: ${why}`, MEDIA_STATUS.INVALID_AAC_CPD);
  };
  let pos = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, pos++) {
      const byte = asc[pos >>> 3];
      if (byte === undefined) bad('too short');
      v = v * 2 + (((byte as number) >>> (7 - (pos & 7))) & 1);
    }
    return v;
  };
  let objectType = read(5);
  if (objectType === 31) objectType = 32 + read(6);
  const index = read(4);
  const samplingFrequency = index === 15 ? read(24) : AAC_SAMPLING_FREQUENCIES[index];
  if (samplingFrequency === undefined || samplingFrequency === 0) bad(`sampling frequency index ${index}`);
  const channelConfiguration = read(4);
  return { objectType, samplingFrequency: samplingFrequency as number, channelConfiguration };
}
