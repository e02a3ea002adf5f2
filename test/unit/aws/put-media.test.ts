import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EMPTY_PAYLOAD_SHA256,
  formatProducerStartTimestamp,
  openPutMedia,
  signPutMediaRequest,
  type PutMediaOptions,
} from '../../../src/aws/put-media.js';
import type { FragmentAck } from '../../../src/aws/ack.js';
import { verifySigV4 } from './sigv4-verify.js';
import { resolveKvsTrust } from '../../../src/aws/tls-trust.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
let handler: Handler = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  handler = (_req, res) => res.end();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function baseOpts(extra: Partial<PutMediaOptions> = {}): PutMediaOptions {
  return {
    endpoint: origin,
    streamName: 'my-stream',
    region: 'us-west-2',
    credentials: async () => ({ accessKeyId: AKID, secretAccessKey: SECRET }),
    timecodeType: 'ABSOLUTE',
    producerStartTimeMs: 1_700_000_000_123,
    ackRequired: true,
    userAgent: 'kvssink-test/1.0',
    ...extra,
  };
}

function ackLine(type: string, tc: number, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ EventType: type, FragmentTimecode: tc, FragmentNumber: `9134385233318143239268206260774392014626407015${tc % 10}`, ...extra })}\n`;
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('formatProducerStartTimestamp', () => {
  it('writes seconds with a zero-padded millisecond fraction', () => {
    expect(formatProducerStartTimestamp(1_700_000_000_123)).toBe('1700000000.123');
    expect(formatProducerStartTimestamp(1_700_000_000_005)).toBe('1700000000.005');
    expect(formatProducerStartTimestamp(1_700_000_000_000)).toBe('1700000000.000');
  });
});

describe('signPutMediaRequest', () => {
  it('sends the PutMedia headers and a signature that verifies with an independent computation', async () => {
    const signed = await signPutMediaRequest({
      ...baseOpts({ endpoint: 'https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com' }),
      credentials: async () => ({ accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: TOKEN }),
      signingDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    expect(signed.url).toBe('https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com/putMedia');
    const h = signed.headers;
    expect(h.host).toBe('s-1234abcd.kinesisvideo.us-west-2.amazonaws.com');
    expect(h['x-amzn-stream-name']).toBe('my-stream');
    expect(h['x-amzn-fragment-timecode-type']).toBe('ABSOLUTE');
    expect(h['x-amzn-producer-start-timestamp']).toBe('1700000000.123');
    expect(h['x-amzn-fragment-acknowledgment-required']).toBe('1');
    expect(h['x-amz-date']).toBe('20240102T030405Z');
    expect(h['x-amz-security-token']).toBe(TOKEN);
    expect(h['user-agent']).toBe('kvssink-test/1.0');
    expect(h['x-amz-content-sha256']).toBeUndefined();
    expect(h.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20240102\/us-west-2\/kinesisvideo\/aws4_request, /);

    const check = verifySigV4({ method: 'POST', path: '/putMedia', headers: h }, SECRET, EMPTY_PAYLOAD_SHA256);
    expect(check.valid).toBe(true);
    expect(check.signedHeaders).toEqual([
      'host', 'x-amz-date', 'x-amz-security-token', 'x-amzn-fragment-acknowledgment-required',
      'x-amzn-fragment-timecode-type', 'x-amzn-producer-start-timestamp', 'x-amzn-stream-name',
    ]);
    expect(check.canonicalRequest.endsWith(`\n${EMPTY_PAYLOAD_SHA256}`)).toBe(true);
    expect(verifySigV4({ method: 'POST', path: '/putMedia', headers: h }, `${SECRET}x`).valid).toBe(false);
  });

  it('sends x-amzn-fragment-acknowledgment-required: 0 and RELATIVE when asked', async () => {
    const signed = await signPutMediaRequest({ ...baseOpts(), ackRequired: false, timecodeType: 'RELATIVE' });
    expect(signed.headers['x-amzn-fragment-acknowledgment-required']).toBe('0');
    expect(signed.headers['x-amzn-fragment-timecode-type']).toBe('RELATIVE');
    expect(signed.headers.host).toBe(new URL(origin).host);
  });
});

describe('PutMedia session', () => {
  it('receives the 200 and a BUFFERING ack before end(), while the body is still open (full duplex)', async () => {
    const received: Buffer[] = [];
    let reqHeaders: IncomingMessage['headers'] = {};
    let reqPath = '';
    handler = (req, res) => {
      reqHeaders = req.headers;
      reqPath = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      let first = true;
      req.on('data', (c: Buffer) => {
        received.push(c);
        if (first) {
          first = false;
          res.write(ackLine('BUFFERING', 1_700_000_000_000));
        }
      });
      req.on('end', () => {
        res.write(ackLine('RECEIVED', 1_700_000_000_000));
        res.end(ackLine('PERSISTED', 1_700_000_000_000));
      });
    };

    const acks: FragmentAck[] = [];
    const firstAck = deferred<FragmentAck>();
    const responded = deferred<number>();
    const session = openPutMedia(baseOpts({
      onAck: (a) => {
        acks.push(a);
        if (acks.length === 1) firstAck.resolve(a);
      },
      onResponse: (s) => responded.resolve(s),
    }));
    const chunk1 = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4]);
    expect(session.write(chunk1)).toBe(true);

    expect(await responded.promise).toBe(200);
    const ack = await firstAck.promise;
    // The body is still open: end() has not been called yet.
    expect(session.state).toBe('streaming');
    expect(session.writable).toBe(true);
    expect(ack).toEqual({ type: 'BUFFERING', fragmentTimecode: 1_700_000_000_000, fragmentNumber: '91343852333181432392682062607743920146264070150' });

    const chunk2 = new Uint8Array(1000).fill(7);
    session.write(chunk2);
    session.end();
    expect(session.state).toBe('ending');
    const result = await session.closed;

    expect(result).toMatchObject({ ok: true, statusCode: 200, bytesWritten: 1008, ackCount: 3 });
    expect(acks.map((a) => a.type)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    expect(Buffer.concat(received)).toEqual(Buffer.concat([chunk1, chunk2]));
    expect(reqPath).toBe('/putMedia');
    expect(reqHeaders['transfer-encoding']).toBe('chunked');
    expect(reqHeaders.connection).toBe('keep-alive');
    expect(reqHeaders['user-agent']).toBe('kvssink-test/1.0');
    expect(reqHeaders['x-amzn-stream-name']).toBe('my-stream');
    expect(reqHeaders['x-amzn-producer-start-timestamp']).toBe('1700000000.123');
    expect(verifySigV4({ method: 'POST', path: reqPath, headers: reqHeaders as Record<string, string> }, SECRET).valid).toBe(true);
  });

  it('reports each chunk written to the socket and releases every chunk exactly once, in order', async () => {
    handler = (req, res) => {
      res.writeHead(200);
      req.resume();
      req.on('end', () => res.end(ackLine('PERSISTED', 5)));
    };
    const written: number[] = [];
    const released: Uint8Array[] = [];
    const session = openPutMedia(baseOpts({
      onChunkWritten: (n) => written.push(n),
      onChunkReleased: (c) => released.push(c),
    }));
    const chunks = [new Uint8Array(10), new Uint8Array(20), new Uint8Array(0), new Uint8Array(30)];
    for (const c of chunks) session.write(c);
    session.end();
    const result = await session.closed;
    expect(result.ok).toBe(true);
    expect(written).toEqual([10, 20, 30]);
    expect(released).toHaveLength(3);
    expect(released[0]).toBe(chunks[0]);
    expect(released[1]).toBe(chunks[1]);
    expect(released[2]).toBe(chunks[3]);
    expect(session.heldChunks).toBe(0);
  });

  it('releases chunks while streaming, not only at the end', async () => {
    const gotData = deferred();
    handler = (req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      req.on('data', () => gotData.resolve());
      req.on('end', () => res.end());
    };
    const released = deferred<Uint8Array>();
    const responded = deferred<number>();
    const session = openPutMedia(baseOpts({ onChunkReleased: (c) => released.resolve(c), onResponse: (s) => responded.resolve(s) }));
    const chunk = new Uint8Array(100);
    session.write(chunk);
    await gotData.promise;
    expect(await released.promise).toBe(chunk);
    expect(await responded.promise).toBe(200);
    expect(session.state).toBe('streaming');
    expect(session.writable).toBe(true);
    session.end();
    expect((await session.closed).ok).toBe(true);
  });

  it('applies backpressure: write() returns false when the server stops reading, drain() resolves when it reads again', async () => {
    let serverReq: IncomingMessage | undefined;
    const paused = deferred();
    handler = (req, res) => {
      serverReq = req;
      req.pause();
      res.writeHead(200);
      res.flushHeaders();
      paused.resolve();
      req.on('end', () => res.end());
    };
    const session = openPutMedia(baseOpts({ highWaterMarkBytes: 64 * 1024 }));
    const chunk = new Uint8Array(16 * 1024);
    session.write(chunk);
    await paused.promise;
    let accepted = 1;
    let full = false;
    // Socket + kernel buffers are finite: the session must push back within a bounded number of
    // writes. One write per turn of the event loop, so each is handed to the socket before the
    // next: what fills up is the socket, not the batch of one tick (which counts too).
    for (let i = 0; i < 16384; i++) {
      accepted++;
      if (!session.write(chunk)) {
        full = true;
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(full).toBe(true);
    let drained = false;
    const d = session.drain().then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    serverReq!.resume();
    await d;
    expect(drained).toBe(true);
    session.end();
    const result = await session.closed;
    expect(result.ok).toBe(true);
    expect(result.bytesWritten).toBe(accepted * chunk.byteLength);
  });

  it('streams many small chunks through repeated drain() cycles without stalling, releasing all of them', async () => {
    let got = 0;
    handler = (req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      req.on('data', (c: Buffer) => (got += c.length));
      req.on('end', () => res.end());
    };
    let released = 0;
    const session = openPutMedia(baseOpts({ highWaterMarkBytes: 16 * 1024, onChunkReleased: () => released++ }));
    const backing = new Uint8Array(4096 + 7);
    const chunk = backing.subarray(7); // a view with an offset, as frames in shared memory are
    const n = 2048;
    let drains = 0;
    for (let i = 0; i < n; i++) {
      if (!session.write(chunk)) {
        drains++;
        await session.drain();
      }
    }
    session.end();
    const result = await session.closed;
    expect(result.ok).toBe(true);
    expect(got).toBe(n * chunk.byteLength);
    expect(released).toBe(n);
    expect(drains).toBeGreaterThan(0);
  });

  it('maps a 403 signature error to a non-retriable auth error that names the secret key and not its value', async () => {
    handler = (req, res) => {
      const body = JSON.stringify({
        message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. The Canonical String for this request should have been ... x-amz-security-token:SECRET-TOKEN-VALUE',
      });
      res.writeHead(403, { 'x-amzn-ErrorType': 'InvalidSignatureException:http://internal.amazon.com/', 'x-amzn-RequestId': 'req-123', 'content-type': 'application/json' });
      res.end(body);
      req.resume();
    };
    const released: Uint8Array[] = [];
    const session = openPutMedia(baseOpts({ onChunkReleased: (c) => released.push(c) }));
    session.write(new Uint8Array(16));
    const result = await session.closed;
    expect(result.ok).toBe(false);
    expect(result.statusCode).toBe(403);
    expect(result.error).toMatchObject({ code: 'SIGNATURE_MISMATCH', retriable: false, httpStatus: 403, awsErrorType: 'InvalidSignatureException', requestId: 'req-123' });
    expect(result.error!.message).toMatch(/secret-key|AWS_SECRET_ACCESS_KEY/);
    const serialized = JSON.stringify(result.error) + result.error!.message;
    expect(serialized).not.toContain(SECRET);
    expect(serialized).not.toContain('SECRET-TOKEN-VALUE');
    expect(released).toHaveLength(1);
    expect(session.writable).toBe(false);
    await expect(session.drain()).rejects.toMatchObject({ code: 'SIGNATURE_MISMATCH' });
  });

  it('maps 401 NotAuthorized to refreshCredentials and 400 ClientLimitExceeded to retriable', async () => {
    handler = (req, res) => {
      req.resume();
      res.writeHead(401, { 'x-amzn-ErrorType': 'NotAuthorizedException' });
      res.end('{"message":"token has expired"}');
    };
    const s1 = openPutMedia(baseOpts());
    s1.write(new Uint8Array(4));
    const r1 = await s1.closed;
    expect(r1.error).toMatchObject({ code: 'EXPIRED_TOKEN', retriable: false, refreshCredentials: true });

    handler = (req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"__type":"ClientLimitExceededException","message":"slow down"}');
    };
    const s2 = openPutMedia(baseOpts());
    s2.write(new Uint8Array(4));
    const r2 = await s2.closed;
    expect(r2.error).toMatchObject({ code: 'CLIENT_LIMIT_EXCEEDED', retriable: true, httpStatus: 400 });
  });

  it('ends the session with the ERROR ack when the service closes the response mid-stream', async () => {
    handler = (req, res) => {
      res.writeHead(200);
      req.once('data', () => {
        res.write(ackLine('BUFFERING', 1000));
        res.end(ackLine('ERROR', 1000, { ErrorId: 4002, ErrorCode: 'MAX_FRAGMENT_DURATION_REACHED' }));
      });
      req.resume();
    };
    const acks: FragmentAck[] = [];
    const session = openPutMedia(baseOpts({ onAck: (a) => acks.push(a) }));
    session.write(new Uint8Array(32));
    const result = await session.closed;
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: 'MAX_FRAGMENT_DURATION_REACHED', kvsStatus: 4002, retriable: false, recoverable: true });
    expect(acks.map((a) => a.type)).toEqual(['BUFFERING', 'ERROR']);
    expect(acks[1]).toMatchObject({ errorId: 4002, errorCode: 'MAX_FRAGMENT_DURATION_REACHED' });
    expect(session.writable).toBe(false);
    expect(() => session.write(new Uint8Array(1))).toThrow(/writable/);
  });

  it('reports SESSION_CLOSED_BY_SERVICE (retriable) when the response ends early without an error ack', async () => {
    handler = (req, res) => {
      res.writeHead(200);
      req.once('data', () => res.end('{"EventType":"IDLE"}\n'));
      req.resume();
    };
    const session = openPutMedia(baseOpts());
    session.write(new Uint8Array(8));
    const result = await session.closed;
    expect(result).toMatchObject({ ok: false, statusCode: 200, ackCount: 1 });
    expect(result.error).toMatchObject({ code: 'SESSION_CLOSED_BY_SERVICE', retriable: true });
  });

  it('reports malformed ACK lines without failing the session', async () => {
    handler = (req, res) => {
      res.writeHead(200);
      req.resume();
      req.on('end', () => res.end(`not json\n${ackLine('PERSISTED', 9)}`));
    };
    const bad: string[] = [];
    const acks: FragmentAck[] = [];
    const session = openPutMedia(baseOpts({ onAck: (a) => acks.push(a), onAckParseError: (e, line) => bad.push(`${e.code}:${line}`) }));
    session.write(new Uint8Array(8));
    session.end();
    const result = await session.closed;
    expect(result.ok).toBe(true);
    expect(bad).toEqual(['ACK_PARSE_ERROR:not json']);
    expect(acks).toHaveLength(1);
  });

  it('abort() ends both directions with ABORTED and releases held chunks', async () => {
    const gotData = deferred();
    handler = (req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      req.on('data', () => gotData.resolve());
      req.on('error', () => {});
    };
    const released: Uint8Array[] = [];
    const session = openPutMedia(baseOpts({ onChunkReleased: (c) => released.push(c) }));
    session.write(new Uint8Array(8));
    await gotData.promise;
    session.abort();
    const result = await session.closed;
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: 'ABORTED', retriable: false });
    expect(released).toHaveLength(1);
  });

  it('abort() before the connection is made still closes cleanly', async () => {
    const session = openPutMedia(baseOpts());
    session.write(new Uint8Array(8));
    session.abort(new Error('stopping'));
    const result = await session.closed;
    expect(result).toMatchObject({ ok: false, bytesWritten: 0 });
    expect(result.error?.code).toBe('ABORTED');
    expect(result.error?.message).toContain('stopping');
  });

  it('maps a refused connection to a retriable network error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const session = openPutMedia(baseOpts({ endpoint: `http://127.0.0.1:${port}` }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: 'NETWORK_ERROR', retriable: true });
    expect(result.error!.message).toContain('ECONNREFUSED');
  });

  it('reports a credentials failure in closed without a secret in the message', async () => {
    const session = openPutMedia(baseOpts({ credentials: async () => { throw new Error(`cannot load ${SECRET}`); } }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('SIGNING_FAILED');
    expect(JSON.stringify(result.error)).not.toContain(SECRET);
  });
});

describe('PutMedia transport (raw sockets)', () => {
  /** A raw TCP server: records every byte of the request, answers with `respond` once the head is in. */
  async function rawServer(respond: (sock: Socket, got: () => Buffer) => void): Promise<{ url: string; received: () => Buffer; close: () => Promise<void> }> {
    const parts: Buffer[] = [];
    const sockets = new Set<Socket>();
    const srv = createNetServer((sock) => {
      sockets.add(sock);
      let responded = false;
      sock.on('data', (d: Buffer) => {
        parts.push(d);
        if (!responded && Buffer.concat(parts).includes('\r\n\r\n')) {
          responded = true;
          respond(sock, () => Buffer.concat(parts));
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
      received: () => Buffer.concat(parts),
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      },
    };
  }

  it('sends the pieces written in one tick as one HTTP chunk, in order, and ends with the last-chunk marker', async () => {
    const srv = await rawServer((sock, got) => {
      sock.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const check = (): void => {
        if (got().subarray(-5).toString('latin1') === '0\r\n\r\n') sock.end('0\r\n\r\n');
        else setImmediate(check);
      };
      check();
    });
    const released: Uint8Array[] = [];
    const session = openPutMedia(baseOpts({ endpoint: srv.url, onChunkReleased: (c) => released.push(c) }));
    const shm = Buffer.from('0123456789abcdefghij');
    await new Promise((r) => setTimeout(r, 20)); // connected: what follows is sent from the writes
    const pieces = [shm.subarray(0, 3), shm.subarray(3, 10), shm.subarray(10, 20)];
    for (const p of pieces) session.write(p);
    await new Promise((r) => setImmediate(r));
    session.write(Buffer.from('XY'));
    session.end();
    const result = await session.closed;
    await srv.close();
    expect(result).toMatchObject({ ok: true, bytesWritten: 22 });
    const wire = srv.received().toString('latin1');
    const body = wire.slice(wire.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('14\r\n0123456789abcdefghij\r\n2\r\nXY\r\n0\r\n\r\n');
    expect(wire).toMatch(/^POST \/putMedia HTTP\/1\.1\r\n/);
    expect(wire).toContain('\r\ntransfer-encoding: chunked\r\n');
    expect(released).toEqual([...pieces, Buffer.from('XY')]);
    expect(released[1]).toBe(pieces[1]);
  });

  it('maps a missing response head to NETWORK_TIMEOUT (headers timeout)', async () => {
    const srv = await rawServer(() => { /* never answers */ });
    const session = openPutMedia(baseOpts({ endpoint: srv.url, headersTimeoutMs: 50 }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    await srv.close();
    expect(result.error).toMatchObject({ code: 'NETWORK_TIMEOUT', retriable: true });
    expect(result.error!.message).toContain('UND_ERR_HEADERS_TIMEOUT');
  });

  it('maps silence after the 200 to NETWORK_TIMEOUT (body idle timeout) and releases every chunk', async () => {
    const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'));
    let released = 0;
    const session = openPutMedia(baseOpts({ endpoint: srv.url, bodyTimeoutMs: 50, onChunkReleased: () => released++ }));
    session.write(new Uint8Array(8));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    await srv.close();
    expect(result).toMatchObject({ ok: false, statusCode: 200 });
    expect(result.error!.message).toContain('UND_ERR_BODY_TIMEOUT');
    expect(released).toBe(2);
  });

  it('maps a connection closed before the response to a retriable NETWORK_ERROR', async () => {
    const srv = await rawServer((sock) => sock.destroy());
    const session = openPutMedia(baseOpts({ endpoint: srv.url }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    await srv.close();
    expect(result.error).toMatchObject({ code: 'NETWORK_ERROR', retriable: true });
  });

  it('verifies https certificates: an untrusted (self-signed) server is refused with TLS_ERROR', async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'tls');
    const srv = createHttpsServer({ key: readFileSync(join(dir, 'localhost-key.pem')), cert: readFileSync(join(dir, 'localhost-cert.pem')) },
      (_req, res) => res.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const session = openPutMedia(baseOpts({ endpoint: `https://localhost:${(srv.address() as AddressInfo).port}` }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
    expect(result.error).toMatchObject({ code: 'TLS_ERROR', retriable: false });
    expect(result.error!.message).toMatch(/TLS certificate of https:\/\/localhost:\d+ could not be verified \(DEPTH_ZERO_SELF_SIGNED_CERT: .*\) against Node's bundled CA certificates.*: set AWS_CA_BUNDLE/);
  });

  it('trusts a CA added with AWS_CA_BUNDLE (still verifying the host name)', async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'tls');
    const srv = createHttpsServer({ key: readFileSync(join(dir, 'localhost-key.pem')), cert: readFileSync(join(dir, 'localhost-cert.pem')) },
      (req, res) => { req.resume(); req.on('end', () => res.end()); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const trust = resolveKvsTrust({ AWS_CA_BUNDLE: join(dir, 'localhost-cert.pem') });
    const session = openPutMedia(baseOpts({ endpoint: `https://localhost:${port}`, trust }));
    session.end();
    const result = await session.closed;
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
    expect(result.statusCode).toBe(200);
    expect(trust.description).toContain('AWS_CA_BUNDLE=');
  });

  it('counts the TLS handshake in the connect timeout', async () => {
    // A TCP server that accepts and never speaks TLS.
    const srv = await rawServer(() => {});
    const session = openPutMedia(baseOpts({ endpoint: srv.url.replace('http:', 'https:'), connectTimeoutMs: 50 }));
    session.write(new Uint8Array(8));
    const result = await session.closed;
    await srv.close();
    expect(result.error).toMatchObject({ code: 'NETWORK_TIMEOUT', retriable: true });
    expect(result.error!.message).toContain('UND_ERR_CONNECT_TIMEOUT');
  });
});
