import { describe, expect, it } from 'vitest';
import { RecordType, type Ring } from '../../../src/ring/ring.js';
import { gstStructure, Reporter } from '../../../src/worker/report.js';

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

describe('Reporter', () => {
  function capture(): { ring: Ring; records: { type: number; text: string }[] } {
    const records: { type: number; text: string }[] = [];
    const ring = {
      closed: false,
      write: (type: number, o: { payload: Uint8Array }) => {
        records.push({ type, text: new TextDecoder().decode(o.payload) });
        return true;
      },
    } as unknown as Ring;
    return { ring, records };
  }

  it("adds the official FragmentAck's fields to every ACK, the timestamp in 100 ns units", () => {
    const { ring, records } = capture();
    new Reporter(ring).ack({ 'event-type': 'ERROR', 'fragment-timecode': 1500, 'fragment-number': '9123', 'error-id': 4002 }, 10);
    expect(records[0]!.type).toBe(RecordType.FRAGMENT_ACK);
    expect(records[0]!.text).toContain('version=(guint64)0, ack-type=(string)"ERROR", timestamp=(guint64)150000000, ' +
      'sequence-number=(string)"9123", result=(guint64)4002;');
  });

  it("gives every error the producer SDK's status for the stream-error signal", () => {
    const { ring, records } = capture();
    new Reporter(ring).error({ code: 'STREAM_NOT_FOUND', message: 'gone' }, true);
    expect(records[0]!.text).toContain(`sdk-status=(guint64)${0x52000017}, fatal=(boolean)true`);
  });
});
