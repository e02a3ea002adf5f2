import { describe, expect, it } from 'vitest';
import { Http1ResponseParser, type ResponseHead } from '../../../src/aws/http1-response.js';

function collect(): { parser: Http1ResponseParser; heads: ResponseHead[]; body: () => string; done: () => number } {
  const heads: ResponseHead[] = [];
  const parts: Buffer[] = [];
  let completes = 0;
  const parser = new Http1ResponseParser({
    onHead: (h) => heads.push(h),
    onBody: (c) => parts.push(Buffer.from(c)),
    onComplete: () => completes++,
  });
  return { parser, heads, body: () => Buffer.concat(parts).toString('latin1'), done: () => completes };
}

/** Feed `text` cut at every position given (as a socket might deliver it). */
function feed(p: Http1ResponseParser, text: string, cuts: number[]): void {
  let at = 0;
  for (const c of [...cuts, text.length]) {
    p.push(Buffer.from(text.slice(at, c), 'latin1'));
    at = c;
  }
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n' +
  'X-Dup: a\r\nx-dup: b\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n';

describe('Http1ResponseParser', () => {
  it('parses a chunked response whole and split at every byte', () => {
    for (const cuts of [[], Array.from({ length: CHUNKED.length - 1 }, (_, i) => i + 1)]) {
      const c = collect();
      feed(c.parser, CHUNKED, cuts);
      expect(c.heads).toEqual([{ statusCode: 200, statusText: 'OK',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-dup': 'a, b' } }]);
      expect(c.body()).toBe('hello0123456789');
      expect(c.done()).toBe(1);
      expect(c.parser.complete).toBe(true);
    }
  });

  it('reads a content-length body and ignores what follows it', () => {
    const c = collect();
    feed(c.parser, 'HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\n\r\nabcdEXTRA', [30]);
    expect(c.heads[0]!.statusCode).toBe(403);
    expect(c.body()).toBe('abcd');
    expect(c.done()).toBe(1);
  });

  it('reads a body delimited by the connection closing, and skips interim 1xx heads', () => {
    const c = collect();
    feed(c.parser, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{"EventType":"IDLE"}\n', [10]);
    expect(c.heads.map((h) => h.statusCode)).toEqual([200]);
    expect(c.done()).toBe(0);
    expect(c.parser.end()).toBe(true);
    expect(c.body()).toBe('{"EventType":"IDLE"}\n');
    expect(c.done()).toBe(1);
  });

  it('reports an incomplete response when the connection closes early', () => {
    const c = collect();
    feed(c.parser, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel', []);
    expect(c.parser.end()).toBe(false);
    expect(c.done()).toBe(0);
  });

  it('rejects malformed responses with HPE_ codes', () => {
    expect(() => collect().parser.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(expect.objectContaining({ code: 'HPE_INVALID_CONSTANT' }));
    expect(() => collect().parser.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n')))
      .toThrow(expect.objectContaining({ code: 'HPE_INVALID_CHUNK_SIZE' }));
    expect(() => collect().parser.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nabc\r\n')))
      .toThrow(expect.objectContaining({ code: 'HPE_STRICT' }));
    expect(() => collect().parser.push(Buffer.alloc(70 * 1024, 0x41))).toThrow(expect.objectContaining({ code: 'HPE_HEADER_OVERFLOW' }));
  });
});
