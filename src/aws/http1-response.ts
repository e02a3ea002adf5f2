/**
 * Incremental HTTP/1.1 response parser for the PutMedia connection: status line and headers,
 * then the body framed by `transfer-encoding: chunked`, `content-length`, or the connection
 * closing (RFC 9112 §6.3). Interim 1xx responses are skipped. Body bytes are handed on as
 * views into the socket's buffers (no copy).
 *
 * Malformed input throws an `Error` whose `code` starts with `HPE_` (as llhttp's, which undici
 * and node:http report), so errors.ts maps it like any other transport failure.
 */

/** undici's default `maxHeaderSize` is 16 KiB; be a little more generous. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_SIZE_LINE_BYTES = 1024;

export interface ResponseHead {
  statusCode: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export interface ResponseHandler {
  onHead(head: ResponseHead): void;
  onBody(chunk: Uint8Array): void;
  onComplete(): void;
}

export function parserError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'HTTPParserError', code });
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'done';

const CRLF = 0x0a0d; // "\r\n" read as a little-endian uint16

export class Http1ResponseParser {
  readonly #h: ResponseHandler;
  #state: State = 'head';
  /** Bytes of an unfinished line (head, chunk-size line, trailers) from earlier pushes. */
  #pending: Buffer | undefined;
  #remaining = 0;

  constructor(handler: ResponseHandler) {
    this.#h = handler;
  }

  get complete(): boolean {
    return this.#state === 'done';
  }

  /** Whether the final (non-1xx) head has been parsed. */
  get headReceived(): boolean {
    return this.#state !== 'head';
  }

  /** Feed bytes from the socket. Bytes after the end of the response are ignored. */
  push(data: Buffer): void {
    let buf = data;
    let i = 0;
    if (this.#pending) {
      buf = Buffer.concat([this.#pending, data]);
      this.#pending = undefined;
    }
    while (i < buf.length) {
      switch (this.#state) {
        case 'head': {
          const end = buf.indexOf('\r\n\r\n', i, 'latin1');
          if (end < 0) return this.#keep(buf, i, MAX_RESPONSE_HEAD_BYTES, 'HPE_HEADER_OVERFLOW', 'response headers are too large');
          this.#onHeadBytes(buf.toString('latin1', i, end));
          i = end + 4;
          break;
        }
        case 'length': {
          const n = Math.min(this.#remaining, buf.length - i);
          this.#remaining -= n;
          this.#h.onBody(buf.subarray(i, i + n));
          i += n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'close':
          this.#h.onBody(i === 0 ? buf : buf.subarray(i));
          return;
        case 'chunk-size': {
          const eol = buf.indexOf(0x0a, i);
          if (eol < 0) return this.#keep(buf, i, MAX_CHUNK_SIZE_LINE_BYTES, 'HPE_INVALID_CHUNK_SIZE', 'chunk size line is too long');
          const line = buf.toString('latin1', i, eol).replace(/\r$/, '');
          const hex = line.split(';', 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw parserError('HPE_INVALID_CHUNK_SIZE', 'invalid chunk size in the response');
          this.#remaining = parseInt(hex, 16);
          this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          i = eol + 1;
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.#remaining, buf.length - i);
          this.#remaining -= n;
          this.#h.onBody(buf.subarray(i, i + n));
          i += n;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          if (buf.length - i < 2) return this.#keep(buf, i, 2, 'HPE_STRICT', 'bad chunk terminator');
          if (buf.readUInt16LE(i) !== CRLF) throw parserError('HPE_STRICT', 'a response chunk is not followed by CRLF');
          this.#state = 'chunk-size';
          i += 2;
          break;
        }
        case 'trailers': {
          const eol = buf.indexOf(0x0a, i);
          if (eol < 0) return this.#keep(buf, i, MAX_RESPONSE_HEAD_BYTES, 'HPE_HEADER_OVERFLOW', 'response trailers are too large');
          const empty = eol === i || (eol === i + 1 && buf[i] === 0x0d);
          i = eol + 1;
          if (empty) this.#finish();
          break;
        }
        case 'done':
          return;
      }
    }
  }

  /** The connection was closed by the server. Returns whether the response was complete. */
  end(): boolean {
    if (this.#state === 'close') this.#finish();
    return this.#state === 'done';
  }

  #keep(buf: Buffer, from: number, limit: number, code: string, what: string): void {
    if (buf.length - from > limit) throw parserError(code, what);
    this.#pending = Buffer.from(buf.subarray(from));
  }

  #onHeadBytes(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) throw parserError('HPE_INVALID_CONSTANT', 'the response does not start with an HTTP/1.1 status line');
    const statusCode = Number(m[1]);
    const headers: Record<string, string> = {};
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw parserError('HPE_INVALID_HEADER_TOKEN', 'malformed response header line');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (statusCode >= 100 && statusCode < 200) return; // interim (100 Continue, 103): the real head follows
    this.#h.onHead({ statusCode, statusText: m[2] ?? '', headers });
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (statusCode === 204 || statusCode === 304) {
      this.#finish();
    } else if (te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te)) {
      this.#state = 'chunk-size';
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw parserError('HPE_INVALID_CONTENT_LENGTH', 'invalid content-length in the response');
      this.#remaining = Number(cl);
      this.#state = 'length';
      if (this.#remaining === 0) this.#finish();
    } else {
      this.#state = 'close';
    }
  }

  #finish(): void {
    this.#state = 'done';
    this.#pending = undefined;
    this.#h.onComplete();
  }
}
