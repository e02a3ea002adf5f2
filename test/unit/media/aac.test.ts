import { describe, expect, it } from 'vitest';
import { aacChannelCount, aacObjectTypeFromProfile, buildAudioSpecificConfig, parseAudioSpecificConfig } from '../../../src/media/aac.js';
import { MediaError } from '../../../src/media/errors.js';
import { hex, toHex } from '../mkv/hex.js';

describe('AudioSpecificConfig', () => {
  it('builds the 2-byte form (AAC-LC) like avenc_aac/aacparse and the KVS producer', () => {
    // First two bytes of aacparse's codec_data for avenc_aac output (119056e500, 158856e500).
    expect(toHex(buildAudioSpecificConfig(2, 48_000, 2))).toBe('1190');
    expect(toHex(buildAudioSpecificConfig(2, 8_000, 1))).toBe('1588');
    expect(toHex(buildAudioSpecificConfig(2, 44_100, 2))).toBe('1210');
    expect(toHex(buildAudioSpecificConfig(2, 16_000, 1))).toBe('1408');
    expect(toHex(buildAudioSpecificConfig(1, 96_000, 6))).toBe('0830');
    expect(toHex(buildAudioSpecificConfig(2, 48_000, 8))).toBe('11b8'); // 8 channels → configuration 7
  });

  it('escapes a sampling frequency that has no index (15 + 24 bits)', () => {
    const asc = buildAudioSpecificConfig(2, 12_345, 2);
    expect(asc.length).toBe(5);
    expect(parseAudioSpecificConfig(asc)).toEqual({ objectType: 2, samplingFrequency: 12_345, channelConfiguration: 2 });
  });

  it('parses object type, frequency and channels, including extension bytes after them', () => {
    expect(parseAudioSpecificConfig(hex('119056e500'))).toEqual({ objectType: 2, samplingFrequency: 48_000, channelConfiguration: 2 });
    expect(parseAudioSpecificConfig(hex('1588'))).toEqual({ objectType: 2, samplingFrequency: 8_000, channelConfiguration: 1 });
    // Object type 31 escape: 31 + 6 bits (here 32 + 10 = 42).
    expect(parseAudioSpecificConfig(hex('f94880'))).toMatchObject({ objectType: 42 });
  });

  it('refuses truncated or impossible configs', () => {
    expect(() => parseAudioSpecificConfig(hex('11'))).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA', kvsStatus: 0x32000025 }));
    expect(() => parseAudioSpecificConfig(hex('1690'))).toThrow(MediaError); // frequency index 13 is reserved
    expect(() => buildAudioSpecificConfig(2, 48_000, 0)).toThrow(MediaError);
    expect(() => buildAudioSpecificConfig(2, 48_000, 9)).toThrow(MediaError);
    expect(() => buildAudioSpecificConfig(0, 48_000, 2)).toThrow(MediaError);
    expect(() => buildAudioSpecificConfig(2, 0, 2)).toThrow(MediaError);
  });

  it('maps GStreamer profile names and channel configurations', () => {
    expect(aacObjectTypeFromProfile('lc')).toBe(2);
    expect(aacObjectTypeFromProfile('main')).toBe(1);
    expect(aacObjectTypeFromProfile('ltp')).toBe(4);
    expect(aacObjectTypeFromProfile('he-aac')).toBe(2);
    expect(aacObjectTypeFromProfile(undefined)).toBe(2);
    expect(aacChannelCount(2)).toBe(2);
    expect(aacChannelCount(7)).toBe(8);
    expect(aacChannelCount(0)).toBeUndefined();
  });
});
