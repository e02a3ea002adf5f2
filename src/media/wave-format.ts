/**
 * WAVEFORMATEX, the CodecPrivate of Matroska `A_MS/ACM` tracks, which is how KVS carries G.711
 * (kvs-developer-guide digest §8.1: DASH/GetClip accept `A_MS/ACM` with "MS Wave format" CPD).
 * 18 bytes, little-endian: wFormatTag, nChannels, nSamplesPerSec, nAvgBytesPerSec, nBlockAlign,
 * wBitsPerSample, cbSize.
 */
import { MediaError } from './errors.js';

/** wFormatTag of G.711 A-law. */
export const WAVE_FORMAT_ALAW = 0x0006;
/** wFormatTag of G.711 µ-law. */
export const WAVE_FORMAT_MULAW = 0x0007;
/** Size of a WAVEFORMATEX without extra bytes. */
export const WAVEFORMATEX_BYTES = 18;

/** The fields of a WAVEFORMATEX kvssink writes. */
export interface WaveFormat {
  formatTag: number;
  channels: number;
  samplesPerSec: number;
  bitsPerSample: number;
}

/**
 * Builds a WAVEFORMATEX for byte-per-sample formats such as G.711 (8 bits per sample):
 * block align = channels × bytes per sample, average bytes/s = rate × block align, cbSize 0.
 * (The KVS producer's mkvgenGeneratePcmCpd writes rate×channels/8 and 0 bits per sample, which
 * players must work around; these are the values the WAVEFORMATEX definition asks for.)
 */
export function buildWaveFormatEx(f: WaveFormat): Uint8Array {
  if (!Number.isInteger(f.channels) || f.channels < 1 || f.channels > 0xffff) {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid channel count ${f.channels}`);
  }
  if (!Number.isInteger(f.samplesPerSec) || f.samplesPerSec < 1 || f.samplesPerSec > 0xffffffff) {
    throw new MediaError('INVALID_CODEC_DATA', `Invalid sample rate ${f.samplesPerSec}`);
  }
  if (f.bitsPerSample % 8 !== 0 || f.bitsPerSample <= 0) {
    throw new MediaError('INVALID_CODEC_DATA', `Bits per sample must be a whole number of bytes, got ${f.bitsPerSample}`);
  }
  const blockAlign = f.channels * (f.bitsPerSample / 8);
  const out = new Uint8Array(WAVEFORMATEX_BYTES);
  const v = new DataView(out.buffer);
  v.setUint16(0, f.formatTag, true);
  v.setUint16(2, f.channels, true);
  v.setUint32(4, f.samplesPerSec, true);
  v.setUint32(8, f.samplesPerSec * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, f.bitsPerSample, true);
  v.setUint16(16, 0, true); // cbSize: no extra bytes
  return out;
}
