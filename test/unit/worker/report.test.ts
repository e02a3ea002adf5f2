import { describe, expect, it } from 'vitest';
import { gstStructure } from '../../../src/worker/report.js';

describe('gstStructure', () => {
  it('serializes typed fields the way gst_structure_from_string reads them', () => {
    expect(gstStructure('kvs-fragment-ack', { 'event-type': 'PERSISTED', 'fragment-timecode': 1700000000123,
      ok: true, ratio: 0.5, missing: undefined })).toBe(
      'kvs-fragment-ack, event-type=(string)"PERSISTED", fragment-timecode=(guint64)1700000000123, ok=(boolean)true, ratio=(double)0.5;');
  });

  it('escapes quotes and backslashes and flattens control characters', () => {
    expect(gstStructure('x', { message: 'a "b" \\c\nd' })).toBe('x, message=(string)"a \\"b\\" \\\\c d";');
  });

  it('keeps 64-bit values exact', () => {
    expect(gstStructure('x', { n: 18446744073709551615n, m: -5n })).toBe('x, n=(guint64)18446744073709551615, m=(gint64)-5;');
  });
});
