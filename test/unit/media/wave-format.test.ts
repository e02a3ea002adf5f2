import { describe, expect, it } from 'vitest';
import { WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW, buildWaveFormatEx } from '../../../src/media/wave-format.js';
import { MediaError } from '../../../src/media/errors.js';
import { toHex } from '../mkv/hex.js';

describe('buildWaveFormatEx', () => {
  it('writes an 18-byte little-endian WAVEFORMATEX for G.711 A-law, 8 kHz mono (golden)', () => {
    expect(toHex(buildWaveFormatEx({ formatTag: WAVE_FORMAT_ALAW, channels: 1, samplesPerSec: 8000, bitsPerSample: 8 }))).toBe(
      '0600' + // wFormatTag 6 (A-law)
        '0100' + // nChannels 1
        '401f0000' + // nSamplesPerSec 8000
        '401f0000' + // nAvgBytesPerSec 8000
        '0100' + // nBlockAlign 1
        '0800' + // wBitsPerSample 8
        '0000', // cbSize 0
    );
  });

  it('writes µ-law, 16 kHz stereo (golden)', () => {
    expect(toHex(buildWaveFormatEx({ formatTag: WAVE_FORMAT_MULAW, channels: 2, samplesPerSec: 16000, bitsPerSample: 8 }))).toBe(
      '0700' + '0200' + '803e0000' + '007d0000' + '0200' + '0800' + '0000',
    );
  });

  it('refuses impossible values', () => {
    expect(() => buildWaveFormatEx({ formatTag: 6, channels: 0, samplesPerSec: 8000, bitsPerSample: 8 })).toThrow(MediaError);
    expect(() => buildWaveFormatEx({ formatTag: 6, channels: 1, samplesPerSec: 0, bitsPerSample: 8 })).toThrow(MediaError);
    expect(() => buildWaveFormatEx({ formatTag: 6, channels: 1, samplesPerSec: 8000, bitsPerSample: 4 })).toThrow(MediaError);
  });
});
