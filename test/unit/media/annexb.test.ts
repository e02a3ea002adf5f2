import { describe, expect, it } from 'vitest';
import {
  annexBToLengthPrefixed,
  annexBToLengthPrefixedBytes,
  splitAnnexB,
  splitLengthPrefixed,
  startsWithStartCode,
} from '../../../src/media/annexb.js';
import { h264NalType } from '../../../src/media/h264.js';
import { hex, toHex } from '../mkv/hex.js';
import { fixture } from './fixtures.js';

describe('splitAnnexB', () => {
  it('splits on 3- and 4-byte start codes and trims trailing zero bytes', () => {
    const data = hex('00000001 6742 00 000001 68ce 000000 0001 65aabb 0000');
    expect(splitAnnexB(data).map(toHex)).toEqual(['6742', '68ce', '65aabb']);
  });

  it('ignores bytes before the first start code and empty units', () => {
    expect(splitAnnexB(hex('ffee 000001 000001 0901')).map(toHex)).toEqual(['0901']);
    expect(splitAnnexB(hex(''))).toEqual([]);
    expect(splitAnnexB(hex('0102030405'))).toEqual([]);
  });

  it('keeps emulation-prevented zeros inside a unit', () => {
    expect(splitAnnexB(hex('000001 65 000003 01 000003 00 ff')).map(toHex)).toEqual(['6500000301000003' + '00ff']);
  });

  it('matches a byte-by-byte scan on random data, for Buffers and offset Uint8Array views alike', () => {
    // Reference: every `00 00 01`, left to right, units trimmed of trailing zeros, empty ones skipped.
    const reference = (d: Uint8Array): string[] => {
      const out: string[] = [];
      let start = -1;
      const push = (s: number, e: number): void => {
        while (e > s && d[e - 1] === 0) e--;
        if (e > s) out.push(toHex(d.subarray(s, e)));
      };
      for (let i = 0; i + 2 < d.length; i++) {
        if (d[i] === 0 && d[i + 1] === 0 && d[i + 2] === 1) {
          if (start >= 0) push(start, i);
          start = i + 3;
          i += 2;
        }
      }
      if (start >= 0) push(start, d.length);
      return out;
    };
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let round = 0; round < 200; round++) {
      const backing = new Uint8Array(5 + (round % 97) * 3);
      // Mostly zeros and ones, so start codes (and near misses) are frequent.
      for (let i = 0; i < backing.length; i++) backing[i] = rand() < 160 ? 0 : rand() < 128 ? 1 : rand();
      const view = backing.subarray(3);
      expect(splitAnnexB(view).map(toHex)).toEqual(reference(view));
      expect(splitAnnexB(Buffer.from(view)).map(toHex)).toEqual(reference(view));
    }
  });

  it('returns views into the input, not copies', () => {
    const data = hex('000001 6742 000001 68ce');
    const nals = splitAnnexB(data);
    expect(nals[0]?.buffer).toBe(data.buffer);
    expect(nals[1]?.byteOffset).toBe(data.byteOffset + 8);
  });

  it('finds AUD, SPS, PPS, SEI and IDR in an x264 access unit', () => {
    const types = splitAnnexB(fixture('h264-high-330x250.h264')).map(h264NalType);
    expect(types.slice(0, 4)).toEqual([9, 7, 8, 6]);
    expect(types).toContain(5);
  });
});

describe('annexBToLengthPrefixed', () => {
  it('interleaves 4-byte big-endian lengths with the units, zero-copy', () => {
    const data = hex('00000001 6742 000001 68ce ee 000001 65' + 'ab'.repeat(300));
    const { pieces, byteLength } = annexBToLengthPrefixed(data);
    expect(pieces.map(toHex)).toEqual(['00000002', '6742', '00000003', '68ceee', '0000012d', '65' + 'ab'.repeat(300)]);
    expect(byteLength).toBe(4 + 2 + 4 + 3 + 4 + 301);
    expect(pieces[1]?.buffer).toBe(data.buffer);
    expect(pieces[5]?.buffer).toBe(data.buffer);
    expect(pieces[0]?.buffer).toBe(pieces[2]?.buffer); // one allocation for all prefixes
  });

  it('can drop units, e.g. access unit delimiters', () => {
    const data = hex('00000001 0910 00000001 6742');
    expect(toHex(annexBToLengthPrefixedBytes(data, (n) => h264NalType(n) !== 9))).toBe('00000002' + '6742');
  });

  it('round-trips through splitLengthPrefixed', () => {
    const frame = fixture('h264-high-330x250.h264');
    const avcc = annexBToLengthPrefixedBytes(frame);
    expect(splitLengthPrefixed(avcc)?.map(toHex)).toEqual(splitAnnexB(frame).map(toHex));
    expect(splitLengthPrefixed(hex('0002 6742 0001 68'), 2)?.map(toHex)).toEqual(['6742', '68']);
  });

  it('splitLengthPrefixed returns null when lengths do not add up (e.g. an Annex-B frame)', () => {
    expect(splitLengthPrefixed(hex('00000005 6742'))).toBeNull();
    expect(splitLengthPrefixed(hex('000000'))).toBeNull();
    expect(splitLengthPrefixed(fixture('h264-high-330x250.h264'))).toBeNull();
  });

  it('startsWithStartCode recognises both start code lengths', () => {
    expect(startsWithStartCode(hex('00000001 67'))).toBe(true);
    expect(startsWithStartCode(hex('000001 67'))).toBe(true);
    expect(startsWithStartCode(hex('01640014'))).toBe(false);
    expect(startsWithStartCode(hex('0000'))).toBe(false);
  });
});
