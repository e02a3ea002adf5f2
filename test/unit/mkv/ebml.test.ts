import { describe, expect, it } from 'vitest';
import {
  EbmlFloat32,
  EbmlFloat64,
  EbmlSignedInt,
  UNKNOWN_SIZE,
  encodeElement,
  encodeElements,
  measureElement,
  measureUnsignedInt,
  measureVarInt,
  writeVarInt,
} from '../../../src/mkv/ebml.js';
import { EbmlId } from '../../../src/mkv/ebml-id.js';
import { hex, toHex } from './hex.js';

function varint(value: number, width?: number): string {
  const buf = new Uint8Array(8);
  const end = writeVarInt(buf, 0, value, width);
  return toHex(buf.subarray(0, end));
}

describe('measureVarInt / writeVarInt', () => {
  it('uses one byte up to 126, because 127 (all ones) is the reserved unknown size', () => {
    expect(measureVarInt(0)).toBe(1);
    expect(varint(0)).toBe('80');
    expect(varint(1)).toBe('81');
    expect(varint(126)).toBe('fe');
    expect(measureVarInt(127)).toBe(2);
    expect(varint(127)).toBe('407f');
  });

  it('switches width at every 2^(7w) − 1 boundary', () => {
    const cases: [number, string][] = [
      [2 ** 14 - 2, '7ffe'],
      [2 ** 14 - 1, '203fff'],
      [2 ** 21 - 2, '3ffffe'],
      [2 ** 21 - 1, '101fffff'],
      [2 ** 28 - 2, '1ffffffe'],
      [2 ** 28 - 1, '080fffffff'],
      [2 ** 35 - 2, '0ffffffffe'],
      [2 ** 35 - 1, '0407ffffffff'],
      [2 ** 42 - 1, '0203ffffffffff'],
      [2 ** 49 - 1, '0101ffffffffffff'],
      [Number.MAX_SAFE_INTEGER, '011fffffffffffff'],
    ];
    for (const [v, expected] of cases) {
      expect(varint(v), `value ${v}`).toBe(expected);
      expect(measureVarInt(v)).toBe(expected.length / 2);
    }
  });

  it('writes a forced wider width with leading zero bits', () => {
    expect(varint(5, 4)).toBe('10000005');
    expect(varint(5, 8)).toBe('0100000000000005');
  });

  it('rejects values it cannot represent exactly and widths that are too small', () => {
    expect(() => measureVarInt(-1)).toThrow(RangeError);
    expect(() => measureVarInt(1.5)).toThrow(RangeError);
    expect(() => measureVarInt(2 ** 53)).toThrow(RangeError);
    expect(() => writeVarInt(new Uint8Array(8), 0, 200, 1)).toThrow(RangeError);
    expect(() => writeVarInt(new Uint8Array(9), 0, 1, 9)).toThrow(RangeError);
  });
});

describe('encodeElement', () => {
  it('writes unsigned integers in the fewest bytes, zero as one byte', () => {
    expect(toHex(encodeElement({ id: EbmlId.TrackNumber, data: 0 }))).toBe('d78100');
    expect(toHex(encodeElement({ id: EbmlId.TrackNumber, data: 255 }))).toBe('d781ff');
    expect(toHex(encodeElement({ id: EbmlId.TrackNumber, data: 256 }))).toBe('d7820100');
    expect(toHex(encodeElement({ id: EbmlId.TimestampScale, data: 1_000_000 }))).toBe('2ad7b1830f4240');
    expect(toHex(encodeElement({ id: EbmlId.Timestamp, data: 1_700_000_000_000 }))).toBe('e786018bcfe56800');
    expect(toHex(encodeElement({ id: EbmlId.Timestamp, data: Number.MAX_SAFE_INTEGER }))).toBe('e7871fffffffffffff');
  });

  it('writes bigints up to 64 bits', () => {
    expect(toHex(encodeElement({ id: EbmlId.TrackUID, data: 0xffff_ffff_ffff_ffffn }))).toBe('73c588ffffffffffffffff');
    expect(toHex(encodeElement({ id: EbmlId.TrackUID, data: 1n }))).toBe('73c58101');
    expect(() => encodeElement({ id: EbmlId.TrackUID, data: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeElement({ id: EbmlId.TrackUID, data: -1 })).toThrow(RangeError);
  });

  it('writes signed integers in two’s complement, fewest bytes', () => {
    const el = (v: number): string => toHex(encodeElement({ id: 0xfb, data: new EbmlSignedInt(v) }));
    expect(el(0)).toBe('fb8100');
    expect(el(-1)).toBe('fb81ff');
    expect(el(127)).toBe('fb817f');
    expect(el(128)).toBe('fb820080');
    expect(el(-128)).toBe('fb8180');
    expect(el(-129)).toBe('fb82ff7f');
    expect(el(-33)).toBe('fb81df');
  });

  it('writes floats as 4 or 8 big-endian bytes', () => {
    expect(toHex(encodeElement({ id: EbmlId.SamplingFrequency, data: new EbmlFloat64(48_000) }))).toBe('b58840e7700000000000');
    expect(toHex(encodeElement({ id: EbmlId.SamplingFrequency, data: new EbmlFloat32(8_000) }))).toBe('b58445fa0000');
  });

  it('writes strings as UTF-8 and binary as is', () => {
    expect(toHex(encodeElement({ id: EbmlId.DocType, data: 'webm' }))).toBe('428284' + '7765626d');
    expect(toHex(encodeElement({ id: EbmlId.Title, data: 'é€' }))).toBe('7ba985' + 'c3a9e282ac');
    expect(toHex(encodeElement({ id: EbmlId.CodecPrivate, data: hex('0102') }))).toBe('63a2820102');
    expect(toHex(encodeElement({ id: EbmlId.TagString, data: '' }))).toBe('448780');
  });

  it('writes children in order and skips nulls', () => {
    const el = encodeElement({
      id: EbmlId.Video,
      data: [{ id: EbmlId.PixelWidth, data: 640 }, null, { id: EbmlId.PixelHeight, data: 480 }],
    });
    expect(toHex(el)).toBe('e088' + 'b0820280' + 'ba8201e0');
  });

  it('writes an empty body for null data', () => {
    expect(toHex(encodeElement({ id: EbmlId.Void, data: null }))).toBe('ec80');
  });

  it('writes the 8-byte all-ones unknown size for size: UNKNOWN_SIZE, followed by the children', () => {
    const el = encodeElement({ id: EbmlId.Cluster, size: UNKNOWN_SIZE, data: [{ id: EbmlId.Timestamp, data: 0 }] });
    expect(toHex(el)).toBe('1f43b675' + '01ffffffffffffff' + 'e78100');
  });

  it('honours an explicit size-field width', () => {
    expect(toHex(encodeElement({ id: EbmlId.TrackNumber, size: 8, data: 1 }))).toBe('d7' + '0100000000000001' + '01');
  });

  it('measures exactly what it encodes, for nested trees', () => {
    const tree = {
      id: EbmlId.Tracks,
      data: [
        {
          id: EbmlId.TrackEntry,
          data: [
            { id: EbmlId.CodecPrivate, data: new Uint8Array(300) },
            { id: EbmlId.Name, data: 'x'.repeat(200) },
            { id: EbmlId.Audio, data: [{ id: EbmlId.SamplingFrequency, data: new EbmlFloat64(44_100) }] },
          ],
        },
      ],
    };
    expect(encodeElement(tree).length).toBe(measureElement(tree));
    expect(measureUnsignedInt(0)).toBe(1);
  });

  it('encodes a sequence of elements back to back', () => {
    const bytes = encodeElements([{ id: EbmlId.TrackNumber, data: 1 }, null, { id: EbmlId.TrackType, data: 2 }]);
    expect(toHex(bytes)).toBe('d78101' + '838102');
  });
});
