import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { END_OF_FRAGMENT_TAG } from '../../../src/mkv/ebml-id.js';
import { MkvError } from '../../../src/mkv/errors.js';
import {
  type MkvTrack,
  type StreamHeaderOptions,
  encodeClusterStart,
  encodeEndOfFragmentTags,
  encodeSimpleBlockHeader,
  encodeStreamHeader,
  encodeTags,
  nsToTimecode,
  writeSimpleBlockHeader,
} from '../../../src/mkv/mkv-writer.js';
import { ascii, concatBytes, hex, toHex } from './hex.js';

const VIDEO: MkvTrack = {
  number: 1,
  uid: 1,
  type: 'video',
  name: 'kinesis_video',
  codecId: 'V_MPEG4/ISO/AVC',
  codecPrivate: hex('010203'),
  video: { pixelWidth: 640, pixelHeight: 480 },
};

const AUDIO: MkvTrack = {
  number: 2,
  uid: 2,
  type: 'audio',
  name: 'audio',
  codecId: 'A_AAC',
  codecPrivate: hex('1190'),
  audio: { samplingFrequency: 48_000, channels: 2 },
};

const HEADER: StreamHeaderOptions = {
  timecodeScaleNs: 1_000_000,
  segmentUuid: new Uint8Array(16),
  title: 'Kinesis Video SDK',
  muxingApp: 'kvssink',
  writingApp: 'kvssink',
  tracks: [VIDEO],
};

// Hand-assembled from the Matroska spec; sizes counted by hand in the comments.
const EBML_HEADER =
  '1a45dfa3 a3' + // EBML, 35 bytes of children (the KVS producer's gMkvHeaderBits are identical)
  '4286 81 01' + // EBMLVersion 1
  '42f7 81 01' + // EBMLReadVersion 1
  '42f2 81 04' + // EBMLMaxIDLength 4
  '42f3 81 08' + // EBMLMaxSizeLength 8
  '4282 88' + ascii('matroska') +
  '4287 81 02' + // DocTypeVersion 2
  '4285 81 02'; // DocTypeReadVersion 2
const SEGMENT_START = '18538067 01ffffffffffffff';
const INFO =
  '1549a966 c2' + // Info, 66 bytes
  '73a4 90' + '00'.repeat(16) + // SegmentUUID (19)
  '2ad7b1 83 0f4240' + // TimestampScale 1 000 000 (7)
  '7ba9 91' + ascii('Kinesis Video SDK') + // Title (20)
  '4d80 87' + ascii('kvssink') + // MuxingApp (10)
  '5741 87' + ascii('kvssink'); // WritingApp (10)
const VIDEO_ENTRY =
  'ae bb' + // TrackEntry, 59 bytes
  'd7 81 01' + // TrackNumber 1
  '73c5 81 01' + // TrackUID 1
  '83 81 01' + // TrackType video
  '86 8f' + ascii('V_MPEG4/ISO/AVC') +
  '536e 8d' + ascii('kinesis_video') +
  '63a2 83 010203' + // CodecPrivate
  'e0 88 b0 82 0280 ba 82 01e0'; // Video: PixelWidth 640, PixelHeight 480
const AUDIO_ENTRY =
  'ae ad' + // TrackEntry, 45 bytes
  'd7 81 02' +
  '73c5 81 02' +
  '83 81 02' + // TrackType audio
  '86 85' + ascii('A_AAC') +
  '536e 85' + ascii('audio') +
  '63a2 82 1190' +
  'e1 8d b5 88 40e7700000000000 9f 81 02'; // Audio: SamplingFrequency 48000.0 (float64), Channels 2

describe('encodeStreamHeader', () => {
  it('writes the EBML header, an unknown-size Segment, Info and Tracks (golden)', () => {
    const expected = EBML_HEADER + SEGMENT_START + INFO + '1654ae6b bd' + VIDEO_ENTRY;
    expect(toHex(encodeStreamHeader(HEADER))).toBe(toHex(hex(expected)));
  });

  it('writes an audio TrackEntry with a float64 SamplingFrequency (golden)', () => {
    const bytes = encodeStreamHeader({ ...HEADER, title: undefined, tracks: [VIDEO, AUDIO] });
    const info = '1549a966 ae' + '73a4 90' + '00'.repeat(16) + '2ad7b1 83 0f4240' + '4d80 87' + ascii('kvssink') + '5741 87' + ascii('kvssink');
    const tracks = '1654ae6b ec' + VIDEO_ENTRY + AUDIO_ENTRY; // Tracks, 61 + 47 = 108 bytes
    const expected = EBML_HEADER + SEGMENT_START + info + tracks;
    expect(toHex(bytes)).toBe(toHex(hex(expected)));
  });

  it('writes BitDepth and DefaultDuration when given, and leaves out an empty CodecPrivate', () => {
    const bytes = encodeStreamHeader({
      ...HEADER,
      tracks: [{ ...AUDIO, number: 1, codecId: 'A_MS/ACM', codecPrivate: new Uint8Array(0), defaultDurationNs: 20_000_000, audio: { samplingFrequency: 8000, channels: 1, bitDepth: 8 } }],
    });
    const h = toHex(bytes);
    expect(h).toContain('6264' + '81' + '08'); // BitDepth 8
    expect(h).toContain('23e383' + '84' + '01312d00'); // DefaultDuration 20 ms
    expect(h).not.toContain('63a2');
  });

  it('refuses tracks KVS would refuse, with the SDK status code', () => {
    const bad = (tracks: MkvTrack[], code: string): void => {
      try {
        encodeStreamHeader({ ...HEADER, tracks });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MkvError);
        expect((e as MkvError).code).toBe(code);
      }
    };
    bad([], 'TRACK_INFO_MISSING');
    bad([VIDEO, { ...AUDIO, number: 1 }], 'TRACK_INFO_MISSING');
    bad([VIDEO, AUDIO, { ...AUDIO, number: 3 }, { ...AUDIO, number: 4 }], 'MAX_TRACK_COUNT_EXCEEDED');
    bad([{ ...VIDEO, codecId: 'V_' + 'X'.repeat(31) }], 'INVALID_CODEC_ID_LENGTH');
    bad([{ ...VIDEO, name: 'n'.repeat(33) }], 'INVALID_TRACK_NAME_LENGTH');
    bad([{ ...VIDEO, uid: 0 }], 'INVALID_TRACK_UID');
    bad([{ ...VIDEO, codecPrivate: new Uint8Array(1024 * 1024 + 1) }], 'INVALID_CODEC_PRIVATE_DATA_LENGTH');
    expect(() => encodeStreamHeader({ ...HEADER, segmentUuid: new Uint8Array(15) })).toThrow(/16 bytes/);
    expect(() => encodeStreamHeader({ ...HEADER, timecodeScaleNs: 99 })).toThrow(MkvError);
    try {
      encodeStreamHeader({ ...HEADER, timecodeScaleNs: 2_000_000_000 });
    } catch (e) {
      expect((e as MkvError).kvsStatus).toBe(0x3200000a);
    }
  });
});

describe('nsToTimecode', () => {
  it('rounds nanoseconds down to timecode units', () => {
    expect(nsToTimecode(1_700_000_000_000_999_999n, 1_000_000)).toBe(1_700_000_000_000);
    expect(nsToTimecode(33_333_333n, 1_000_000)).toBe(33);
    expect(nsToTimecode(0n, 1_000_000)).toBe(0);
    expect(nsToTimecode(-1n, 1_000_000)).toBe(-1);
    expect(nsToTimecode(-1_000_000n, 1_000_000)).toBe(-1);
    expect(nsToTimecode(1_234n, 100)).toBe(12);
    expect(() => nsToTimecode(2n ** 63n, 1)).toThrow(RangeError);
  });
});

describe('encodeClusterStart', () => {
  it('writes Cluster, the 8-byte unknown size and the Timestamp in the fewest bytes (golden)', () => {
    expect(toHex(encodeClusterStart(0))).toBe('1f43b675' + '01ffffffffffffff' + 'e78100');
    expect(toHex(encodeClusterStart(1000))).toBe('1f43b675' + '01ffffffffffffff' + 'e78203e8');
    // An absolute producer timestamp in ms: 2023-11-14T22:13:20Z.
    expect(toHex(encodeClusterStart(1_700_000_000_000))).toBe('1f43b675' + '01ffffffffffffff' + 'e786018bcfe56800');
  });

  it('refuses negative or fractional timecodes', () => {
    expect(() => encodeClusterStart(-1)).toThrow(RangeError);
    expect(() => encodeClusterStart(1.5)).toThrow(RangeError);
  });
});

describe('encodeSimpleBlockHeader', () => {
  it('writes ID, size, track, int16 timecode and flags, without the payload (golden)', () => {
    // size = 1 (track) + 2 (timecode) + 1 (flags) + 100 = 104 = 0x68
    expect(toHex(encodeSimpleBlockHeader(1, 0, true, 100))).toBe('a3' + 'e8' + '81' + '0000' + '80');
    // size 5004 = 0x138c takes two bytes; timecode −1 is ffff; not a key frame
    expect(toHex(encodeSimpleBlockHeader(2, -1, false, 5000))).toBe('a3' + '538c' + '82' + 'ffff' + '00');
  });

  it('covers the int16 range and the one-byte/two-byte size boundary', () => {
    expect(toHex(encodeSimpleBlockHeader(1, 32767, true, 122))).toBe('a3' + 'fe' + '81' + '7fff' + '80'); // size 126
    expect(toHex(encodeSimpleBlockHeader(1, -32768, true, 123))).toBe('a3' + '407f' + '81' + '8000' + '80'); // size 127
    expect(() => encodeSimpleBlockHeader(1, 32768, true, 1)).toThrow(RangeError);
    expect(() => encodeSimpleBlockHeader(1, -32769, true, 1)).toThrow(RangeError);
    expect(() => encodeSimpleBlockHeader(0, 0, true, 1)).toThrow(RangeError);
  });

  it('handles large frames (4-byte size for a 5 MB frame)', () => {
    const len = 5 * 1024 * 1024;
    const h = encodeSimpleBlockHeader(1, 33, true, len);
    expect(toHex(h)).toBe('a3' + (0x10000000 + len + 4).toString(16) + '81' + '0021' + '80');
  });

  it('writes into a caller buffer at an offset', () => {
    const buf = new Uint8Array(20);
    const end = writeSimpleBlockHeader(buf, 3, 1, 5, false, 10);
    expect(end).toBe(3 + 6);
    expect(toHex(buf.subarray(3, end))).toBe('a38e81000500');
  });
});

describe('encodeTags', () => {
  it('writes Tags → Tag → SimpleTag(TagName, TagString) per item (golden)', () => {
    const expected =
      '1254c367 96' + // Tags, 22 bytes
      '7373 93' + // Tag, 19
      '67c8 90' + // SimpleTag, 16
      '45a3 86' + ascii('Motion') + // TagName (9)
      '4487 84' + ascii('true'); // TagString (7)
    expect(toHex(encodeTags([{ name: 'Motion', value: 'true' }]))).toBe(toHex(hex(expected)));
  });

  it('writes binary values as TagBinary and several SimpleTags in one Tag', () => {
    const h = toHex(encodeTags([{ name: 'a', value: hex('00ff') }, { name: 'b', value: 'c' }]));
    expect(h).toBe('1254c367' + '9a' + '7373' + '97' + '67c8' + '89' + '45a381' + ascii('a') + '448582' + '00ff' + '67c8' + '88' + '45a381' + ascii('b') + '448781' + ascii('c'));
  });

  it('adds Targets only when asked', () => {
    expect(toHex(encodeTags([{ name: 'a', value: 'b' }], { targetTypeValue: 50 }))).toContain('63c0' + '84' + '68ca' + '81' + '32');
    expect(toHex(encodeTags([{ name: 'a', value: 'b' }]))).not.toContain('63c0');
  });

  it('writes the end-of-fragment marker as a SimpleTag with an empty TagString (golden)', () => {
    expect(END_OF_FRAGMENT_TAG).toBe('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    const expected = '1254c367 ac' + '7373 a9' + '67c8 a6' + '45a3 a0' + ascii(END_OF_FRAGMENT_TAG) + '4487 80';
    expect(toHex(encodeEndOfFragmentTags())).toBe(toHex(hex(expected)));
  });
});

describe('independent validation', () => {
  it('mkvinfo reads a header + cluster + blocks + tags stream as the intended structure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvssink-mkv-'));
    try {
      const payload = new Uint8Array(16).fill(7);
      const bytes = concatBytes([
        encodeStreamHeader({ ...HEADER, tracks: [VIDEO, AUDIO] }),
        encodeTags([{ name: 'Motion', value: 'true' }]),
        encodeClusterStart(1_700_000_000_000),
        encodeSimpleBlockHeader(1, 0, true, payload.length),
        payload,
        encodeSimpleBlockHeader(2, 5, true, payload.length),
        payload,
        encodeClusterStart(1_700_000_001_000),
        encodeSimpleBlockHeader(1, 0, true, payload.length),
        payload,
        encodeEndOfFragmentTags(),
      ]);
      const file = join(dir, 'stream.mkv');
      writeFileSync(file, bytes);
      const out = execFileSync('mkvinfo', ['--all', file], { encoding: 'utf8' });
      expect(out).toContain('Segment: size unknown');
      expect(out).toContain('Codec ID: V_MPEG4/ISO/AVC');
      expect(out).toContain('Codec ID: A_AAC');
      expect(out).toContain('Sampling frequency: 48000');
      expect(out).toContain('Pixel width: 640');
      expect(out).toContain('Name: Motion');
      expect(out).toContain('Name: AWS_KINESISVIDEO_END_OF_FRAGMENT');
      expect(out.match(/^\|\+ Cluster$/gm)?.length).toBe(2);
      expect(out.match(/Simple block: key, track number 1/g)?.length).toBe(2);
      // 1 700 000 000 005 ms = 472222 h 13 min 20.005 s
      expect(out).toContain('Simple block: key, track number 2, 1 frame(s), timestamp 472222:13:20.005000000');
      expect(out).not.toMatch(/error|invalid/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
