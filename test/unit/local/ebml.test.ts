import { describe, expect, test } from 'vitest';
import { EbmlId } from '../../../src/mkv/ebml-id.js';
import { children, encodeId, encodeSize, readId, readSize, tagsElement, uintElement } from '../../../src/local/ebml.js';
import { parseTags } from '../../../src/local/mkv-parser.js';
import { createTokenBucket, createWindowLimiter } from '../../../src/local/rate-limit.js';

describe('EBML helpers', () => {
  test('encodes sizes as the shortest VINT and never as the reserved all-ones value', () => {
    expect(encodeSize(0)).toEqual(Buffer.from([0x80]));
    expect(encodeSize(126)).toEqual(Buffer.from([0xfe]));
    expect(encodeSize(127)).toEqual(Buffer.from([0x40, 0x7f]));
    expect(encodeSize(16382)).toEqual(Buffer.from([0x7f, 0xfe]));
    expect(encodeSize(16383)).toEqual(Buffer.from([0x20, 0x3f, 0xff]));
    expect(encodeSize(5, 8)).toEqual(Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 5]));
    expect(() => encodeSize(127, 1)).toThrow(RangeError);
  });

  test('reads back IDs and sizes, including unknown sizes', () => {
    expect(readId(encodeId(EbmlId.Cluster), 0)).toEqual({ id: EbmlId.Cluster, length: 4 });
    expect(readId(encodeId(EbmlId.SimpleBlock), 0)).toEqual({ id: EbmlId.SimpleBlock, length: 1 });
    expect(readSize(Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0)).toEqual({ value: 0xffffffffffffffn, length: 8, unknown: true });
    expect(readSize(Buffer.from([0xff]), 0)).toMatchObject({ unknown: true, length: 1 });
    expect(readSize(encodeSize(300), 0)).toEqual({ value: 300n, length: 2, unknown: false });
    expect(readSize(Buffer.from([0x20, 0x00]), 0)).toBeUndefined();
    expect(() => readSize(Buffer.from([0x00]), 0)).toThrow(/leading zero/);
  });

  test('builds a Tags element that parses back to its simple tags', () => {
    const tags = tagsElement([
      ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', '91343852333181432392682062607743920146264440297'],
      ['motion', 'true'],
    ]);
    const id = readId(tags, 0)!;
    const size = readSize(tags, id.length)!;
    expect(id.id).toBe(EbmlId.Tags);
    expect(parseTags(tags.subarray(id.length + size.length))).toEqual([
      { name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: '91343852333181432392682062607743920146264440297' },
      { name: 'motion', value: 'true' },
    ]);
    expect([...children(uintElement(EbmlId.Timestamp, 1700000000000).subarray(0))].length).toBe(1);
  });
});

describe('rate limiting', () => {
  test('the window limiter allows N calls per second per key', () => {
    const l = createWindowLimiter();
    expect([0, 10, 20].map((t) => l.tryAcquire('a', 2, t))).toEqual([true, true, false]);
    expect(l.tryAcquire('b', 2, 20)).toBe(true);
    expect(l.tryAcquire('a', 2, 1001)).toBe(true);
  });

  test('the token bucket reports the wait needed to repay a debt', () => {
    const b = createTokenBucket(1000);
    expect(b.take(500, 0)).toBe(0);
    expect(b.take(1500, 0)).toBe(1000);
    expect(b.inDebt(500)).toBe(true);
    expect(b.inDebt(1000)).toBe(false);
    expect(b.tryTake(2000, 1000)).toBe(false);
    expect(b.tryTake(500, 2000)).toBe(true);
  });
});
