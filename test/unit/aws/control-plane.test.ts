import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlaneClient } from '../../../src/aws/control-plane.js';
import {
  createControlPlaneClient,
  getPutMediaEndpoint,
  prepareStream,
} from '../../../src/aws/control-plane.js';
import { KvsError } from '../../../src/aws/errors.js';
import { kvsRejection } from './kvs-rejection.js';
import { verifySigV4 } from './sigv4-verify.js';

const ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam-1/1700000000000';

interface Call { op: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }
type Reply = { status: number; body: unknown; errorType?: string };

let server: Server;
let origin: string;
let calls: Call[] = [];
let script: (call: Call) => Reply = () => ({ status: 500, body: {} });
let client: ControlPlaneClient;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const call: Call = { op: (req.url ?? '').replace(/^\//, ''), body: text ? JSON.parse(text) : {}, headers: req.headers };
      calls.push(call);
      const reply = script(call);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `rid-${calls.length}` };
      if (reply.errorType) headers['x-amzn-errortype'] = reply.errorType;
      res.writeHead(reply.status, headers);
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createControlPlaneClient({
    region: 'us-west-2',
    endpoint: origin,
    credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }),
    userAgent: 'kvssink-test/1.0',
    maxAttempts: 1,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
  });
});

afterEach(() => {
  calls = [];
});

afterAll(async () => {
  client.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const notFound: Reply = { status: 404, errorType: 'ResourceNotFoundException', body: { message: 'The requested stream is not found or not active.' } };
const info = (status: string): Reply => ({ status: 200, body: { StreamInfo: { StreamName: 'cam-1', StreamARN: ARN, Status: status, DataRetentionInHours: 2 } } });

describe('prepareStream', () => {
  it('returns an ACTIVE stream without creating it', async () => {
    script = () => info('ACTIVE');
    const r = await prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2 });
    expect(r).toEqual({ streamArn: ARN, status: 'ACTIVE', created: false, retentionHours: 2 });
    expect(calls.map((c) => c.op)).toEqual(['describeStream']);
    expect(calls[0]!.body).toEqual({ StreamName: 'cam-1' });
    expect(String(calls[0]!.headers['user-agent'])).toContain('kvssink-test/1.0');
    expect(String(calls[0]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-west-2\/kinesisvideo\/aws4_request/);
  });

  it('creates a missing stream and polls until ACTIVE: describe 404 → create → CREATING → ACTIVE', async () => {
    const describes = [notFound, info('CREATING'), info('CREATING'), info('ACTIVE')];
    script = (call) => {
      if (call.op === 'createStream') return { status: 200, body: { StreamARN: ARN } };
      return describes.shift() ?? info('ACTIVE');
    };
    const logs: string[] = [];
    const r = await prepareStream({
      client, streamName: 'cam-1', allowCreate: true, retentionHours: 24, mediaType: 'video/h264,audio/aac',
      tags: { owner: 'me', site: 'lab' }, pollIntervalMs: 1, maxPollIntervalMs: 2, log: (l, m) => logs.push(`${l}:${m}`),
    });
    expect(r).toEqual({ streamArn: ARN, status: 'ACTIVE', created: true, retentionHours: 2 });
    expect(calls.map((c) => c.op)).toEqual(['describeStream', 'createStream', 'describeStream', 'describeStream', 'describeStream']);
    expect(calls[1]!.body).toEqual({ StreamName: 'cam-1', DataRetentionInHours: 24, MediaType: 'video/h264,audio/aac', Tags: { owner: 'me', site: 'lab' } });
    expect(logs.some((l) => l.startsWith('info:') && l.includes('creating'))).toBe(true);
  });

  it('fails with STREAM_NOT_FOUND telling how to fix it when creation is not allowed', async () => {
    script = () => notFound;
    const e = await kvsRejection(prepareStream({ client, streamName: 'cam-1', allowCreate: false, retentionHours: 2 }));
    expect(e).toMatchObject({ code: 'STREAM_NOT_FOUND', retriable: false });
    expect(e.message).toMatch(/allow-create-stream=true/);
    expect(calls.map((c) => c.op)).toEqual(['describeStream']);
  });

  it('uses a stream someone else created in between (ResourceInUseException on create)', async () => {
    const describes = [notFound, info('ACTIVE')];
    script = (call) => call.op === 'createStream'
      ? { status: 400, errorType: 'ResourceInUseException', body: { message: 'The stream is currently not available for this operation.' } }
      : describes.shift() ?? info('ACTIVE');
    const r = await prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2, pollIntervalMs: 1 });
    expect(r).toEqual({ streamArn: ARN, status: 'ACTIVE', created: false, retentionHours: 2 });
    expect(calls.map((c) => c.op)).toEqual(['describeStream', 'createStream', 'describeStream']);
  });

  it('refuses a stream that is being deleted', async () => {
    script = () => info('DELETING');
    const e = await kvsRejection(prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2 }));
    expect(e).toMatchObject({ code: 'STREAM_DELETING', retriable: false });
  });

  it('gives up with a retriable STREAM_NOT_READY after readyTimeoutMs (bounded polling)', async () => {
    let now = 0;
    script = () => {
      now += 1000;
      return info('CREATING');
    };
    const e = await kvsRejection(prepareStream({
      client, streamName: 'cam-1', allowCreate: true, retentionHours: 2, readyTimeoutMs: 5000, pollIntervalMs: 1, maxPollIntervalMs: 1, now: () => now,
    }));
    expect(e).toMatchObject({ code: 'STREAM_NOT_READY', retriable: true });
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it('maps service errors: 401 NotAuthorized is not retriable, throttling is', async () => {
    script = () => ({ status: 401, errorType: 'NotAuthorizedException', body: { message: 'User is not authorized' } });
    const e1 = await kvsRejection(prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2 }));
    expect(e1).toMatchObject({ code: 'NOT_AUTHORIZED', retriable: false, httpStatus: 401, requestId: 'rid-1' });
    script = () => ({ status: 400, errorType: 'ClientLimitExceededException', body: { message: 'slow down' } });
    const e2 = await kvsRejection(prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2 }));
    expect(e2).toMatchObject({ code: 'CLIENT_LIMIT_EXCEEDED', retriable: true });
  });

  it('is abortable while waiting for ACTIVE', async () => {
    const ac = new AbortController();
    script = () => {
      ac.abort();
      return info('CREATING');
    };
    const e = await kvsRejection(prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2, signal: ac.signal, pollIntervalMs: 10_000 }));
    expect(e.code).toBe('ABORTED');
  });

  it('maps an unreachable endpoint to a retriable network error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dead = createControlPlaneClient({
      region: 'us-west-2', endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1,
      credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }),
    });
    const e = await kvsRejection(prepareStream({ client: dead, streamName: 'cam-1', allowCreate: true, retentionHours: 2 }));
    dead.destroy();
    expect(e).toMatchObject({ code: 'NETWORK_ERROR', retriable: true });
  });
});

describe('getPutMediaEndpoint', () => {
  it('calls GetDataEndpoint with APIName PUT_MEDIA and returns the endpoint', async () => {
    script = () => ({ status: 200, body: { DataEndpoint: 'https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com/' } });
    const ep = await getPutMediaEndpoint({ client, streamName: 'cam-1' });
    expect(ep).toBe('https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com');
    expect(calls[0]).toMatchObject({ op: 'getDataEndpoint', body: { StreamName: 'cam-1', APIName: 'PUT_MEDIA' } });
  });

  it('maps a missing stream to STREAM_NOT_FOUND', async () => {
    script = () => notFound;
    const e = await kvsRejection(getPutMediaEndpoint({ client, streamName: 'cam-1' }));
    expect(e).toMatchObject({ code: 'STREAM_NOT_FOUND', retriable: false });
  });
});

describe('control-plane client', () => {
  it('signs the JSON body (SigV4 over its SHA-256) as the service verifies it', async () => {
    script = () => info('ACTIVE');
    await prepareStream({ client, streamName: 'cam-1', allowCreate: true, retentionHours: 2 });
    const h = calls[0]!.headers as Record<string, string>;
    const body = JSON.stringify({ StreamName: 'cam-1' });
    const hash = createHash('sha256').update(body).digest('hex');
    expect(h['content-type']).toBe('application/json');
    expect(verifySigV4({ method: 'POST', path: '/describeStream', headers: h }, 'secret', hash).valid).toBe(true);
    expect(verifySigV4({ method: 'POST', path: '/describeStream', headers: h }, 'secret').valid).toBe(false);
  });

  it('retries 5xx and throttling like the SDK standard strategy, up to maxAttempts; not 4xx', async () => {
    const retrying = createControlPlaneClient({
      region: 'us-west-2', endpoint: origin, maxAttempts: 3,
      credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }),
    });
    const replies = [{ status: 503, body: { message: 'busy' } }, { status: 400, errorType: 'ThrottlingException', body: { message: 'slow' } }, info('ACTIVE')];
    script = () => replies.shift() ?? info('ACTIVE');
    const r = await prepareStream({ client: retrying, streamName: 'cam-1', allowCreate: true, retentionHours: 2 });
    expect(r.status).toBe('ACTIVE');
    expect(calls.map((c) => c.op)).toEqual(['describeStream', 'describeStream', 'describeStream']);

    calls = [];
    script = () => ({ status: 403, errorType: 'AccessDeniedException', body: { message: 'no' } });
    const e = await kvsRejection(prepareStream({ client: retrying, streamName: 'cam-1', allowCreate: true, retentionHours: 2 }));
    expect(e).toMatchObject({ retriable: false, httpStatus: 403, awsErrorType: 'AccessDeniedException' });
    expect(calls).toHaveLength(1);
    retrying.destroy();
  });

  it('maps a call that outlives completion-timeout to a retriable NETWORK_TIMEOUT', async () => {
    const silent = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slow = createControlPlaneClient({
      region: 'us-west-2', endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, maxAttempts: 1,
      requestTimeoutMs: 50, credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }),
    });
    const e = await kvsRejection(getPutMediaEndpoint({ client: slow, streamName: 'cam-1' }));
    slow.destroy();
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
    expect(e).toMatchObject({ code: 'NETWORK_TIMEOUT', retriable: true });
  });
});
