import { describe, expect, it } from 'vitest';
import { MAX_ACK_LINE_CHARS, createAckParser, parseAckLine, type AckParseEvent } from '../../../src/aws/ack.js';

const FN = '91343852333181432392682062607743920146264070156';
const BUFFERING = `{"EventType":"BUFFERING","FragmentTimecode":1700000000000,"FragmentNumber":"${FN}"}`;
const PERSISTED = `{"EventType":"PERSISTED","FragmentTimecode":1700000002000,"FragmentNumber":"${FN}"}`;

function acks(events: AckParseEvent[]): unknown[] {
  return events.map((e) => (e.kind === 'ack' ? e.ack : { malformed: e.error.code }));
}

describe('parseAckLine', () => {
  it('parses the fields as the service sends them', () => {
    expect(parseAckLine(BUFFERING)).toEqual({
      kind: 'ack', ack: { type: 'BUFFERING', fragmentTimecode: 1700000000000, fragmentNumber: FN },
    });
  });

  it('parses ERROR acks with a numeric or string ErrorId and an optional ErrorCode', () => {
    expect(parseAckLine('{"EventType":"ERROR","FragmentTimecode":5,"ErrorId":4004}')).toEqual({
      kind: 'ack', ack: { type: 'ERROR', fragmentTimecode: 5, errorId: 4004 },
    });
    expect(parseAckLine('{"EventType":"ERROR","FragmentTimecode":5,"ErrorId":"4002","ErrorCode":"MAX_FRAGMENT_DURATION_REACHED"}')).toEqual({
      kind: 'ack', ack: { type: 'ERROR', fragmentTimecode: 5, errorId: 4002, errorCode: 'MAX_FRAGMENT_DURATION_REACHED' },
    });
  });

  it('keeps a bare numeric FragmentNumber exact (no float rounding)', () => {
    const ev = parseAckLine(`{"EventType":"RECEIVED","FragmentTimecode":7,"FragmentNumber":${FN}}`);
    expect(ev).toEqual({ kind: 'ack', ack: { type: 'RECEIVED', fragmentTimecode: 7, fragmentNumber: FN } });
  });

  it('accepts IDLE without timecode, and the guide\'s wrapped Acknowledgement form', () => {
    expect(parseAckLine('{"EventType":"IDLE"}')).toEqual({ kind: 'ack', ack: { type: 'IDLE' } });
    expect(parseAckLine('{"Acknowledgement":{"EventType":"PERSISTED","FragmentTimecode":1}}')).toEqual({
      kind: 'ack', ack: { type: 'PERSISTED', fragmentTimecode: 1 },
    });
  });

  it('returns undefined for blank lines and a parse-error event for malformed ones', () => {
    expect(parseAckLine('   \r')).toBeUndefined();
    for (const bad of ['{', '[]', '"x"', '{"EventType":"WHATEVER"}', '{"FragmentTimecode":1}',
      '{"EventType":"ERROR"}', '{"EventType":"BUFFERING","FragmentTimecode":"abc"}']) {
      const ev = parseAckLine(bad);
      expect(ev?.kind, bad).toBe('malformed');
      if (ev?.kind === 'malformed') {
        expect(ev.error.code).toBe('ACK_PARSE_ERROR');
        expect(ev.error.retriable).toBe(true);
      }
    }
  });
});

describe('createAckParser', () => {
  it('joins an ack split across chunks, anywhere', () => {
    const text = `${BUFFERING}\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const p = createAckParser();
      const a = p.push(Buffer.from(text.slice(0, cut)));
      const b = p.push(Buffer.from(text.slice(cut)));
      expect(acks([...a, ...b, ...p.end()])).toHaveLength(1);
      expect(a.length + b.length).toBe(1);
    }
  });

  it('emits several acks from one chunk, with \\r\\n, blank lines and whitespace', () => {
    const p = createAckParser();
    const out = p.push(`${BUFFERING}\r\n\r\n  ${PERSISTED}  \n\n{"EventType":"IDLE"}\r\n`);
    expect(acks(out)).toEqual([
      { type: 'BUFFERING', fragmentTimecode: 1700000000000, fragmentNumber: FN },
      { type: 'PERSISTED', fragmentTimecode: 1700000002000, fragmentNumber: FN },
      { type: 'IDLE' },
    ]);
    expect(p.end()).toEqual([]);
  });

  it('parses a final line without a trailing newline at end()', () => {
    const p = createAckParser();
    expect(p.push(PERSISTED)).toEqual([]);
    expect(acks(p.end())).toEqual([{ type: 'PERSISTED', fragmentTimecode: 1700000002000, fragmentNumber: FN }]);
  });

  it('decodes UTF-8 split inside a multi-byte sequence', () => {
    const text = Buffer.from('{"EventType":"ERROR","FragmentTimecode":1,"ErrorId":5000,"ErrorCode":"é"}\n');
    const cut = text.indexOf(0xc3) + 1;
    const p = createAckParser();
    const out = [...p.push(text.subarray(0, cut)), ...p.push(text.subarray(cut))];
    expect(acks(out)).toEqual([{ type: 'ERROR', fragmentTimecode: 1, errorId: 5000, errorCode: 'é' }]);
  });

  it('reports a malformed line and goes on with the next one', () => {
    const p = createAckParser();
    const out = p.push(`garbage}\n${BUFFERING}\n`);
    expect(acks(out)).toEqual([
      { malformed: 'ACK_PARSE_ERROR' },
      { type: 'BUFFERING', fragmentTimecode: 1700000000000, fragmentNumber: FN },
    ]);
  });

  it('drops an over-long line once, reports it, and recovers at the next newline', () => {
    const p = createAckParser();
    const big = 'x'.repeat(MAX_ACK_LINE_CHARS + 10);
    const first = p.push(big);
    expect(acks(first)).toEqual([{ malformed: 'ACK_PARSE_ERROR' }]);
    expect(p.push('more junk')).toEqual([]);
    expect(acks(p.push(`tail\n${PERSISTED}\n`))).toEqual([
      { type: 'PERSISTED', fragmentTimecode: 1700000002000, fragmentNumber: FN },
    ]);
  });
});
