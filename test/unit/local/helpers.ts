/**
 * Test helpers for the local endpoint: a hand-built MKV producer (unknown-size Segment and
 * Clusters, SimpleBlocks, the END_OF_FRAGMENT tag) and SigV4 signing as a client would do it
 * (@smithy/signature-v4), plus a full-duplex PutMedia client on undici.
 */
import { PassThrough } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request } from 'undici';
import { EbmlId, END_OF_FRAGMENT_TAG } from '../../../src/mkv/ebml-id.js';
import { element, encodeId, stringElement, tagsElement, uintElement, UNKNOWN_SIZE_8 } from '../../../src/local/ebml.js';

export const ACCESS_KEY = 'AKIDEXAMPLE';
export const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const REGION = 'us-west-2';

export type FixtureTrack = { number: number; codecId?: string; type?: number; codecPrivate?: Buffer };
export type FixtureFrame = { track?: number; timecode: number; keyframe?: boolean; size?: number };
export type FixtureCluster = { timecode: number; frames: FixtureFrame[] };

export function ebmlHeader(docType = 'matroska'): Buffer {
  return element(
    EbmlId.EBML,
    uintElement(EbmlId.EBMLVersion, 1),
    uintElement(EbmlId.EBMLReadVersion, 1),
    uintElement(EbmlId.EBMLMaxIDLength, 4),
    uintElement(EbmlId.EBMLMaxSizeLength, 8),
    stringElement(EbmlId.DocType, docType),
    uintElement(EbmlId.DocTypeVersion, 4),
    uintElement(EbmlId.DocTypeReadVersion, 2),
  );
}

export function segmentStart(): Buffer {
  return Buffer.concat([encodeId(EbmlId.Segment), UNKNOWN_SIZE_8]);
}

export function info(timestampScaleNs = 1_000_000): Buffer {
  return element(EbmlId.Info, uintElement(EbmlId.TimestampScale, timestampScaleNs), stringElement(EbmlId.MuxingApp, 'test'), stringElement(EbmlId.WritingApp, 'test'));
}

export function tracksElement(tracks: readonly FixtureTrack[]): Buffer {
  return element(
    EbmlId.Tracks,
    ...tracks.map((t) =>
      element(
        EbmlId.TrackEntry,
        uintElement(EbmlId.TrackNumber, t.number),
        uintElement(EbmlId.TrackUID, t.number),
        uintElement(EbmlId.TrackType, t.type ?? 1),
        stringElement(EbmlId.CodecID, t.codecId ?? 'V_MPEG4/ISO/AVC'),
        ...(t.codecPrivate ? [element(EbmlId.CodecPrivate, t.codecPrivate)] : []),
      ),
    ),
  );
}

export function simpleBlock(f: FixtureFrame): Buffer {
  const payload = Buffer.alloc(f.size ?? 16, 0xab);
  const head = Buffer.alloc(4);
  head[0] = 0x80 | (f.track ?? 1);
  head.writeInt16BE(f.timecode, 1);
  head[3] = f.keyframe ? 0x80 : 0;
  return element(EbmlId.SimpleBlock, head, payload);
}

/** An unknown-size Cluster with a Timestamp and SimpleBlocks (as the producer writes it). */
export function cluster(c: FixtureCluster): Buffer {
  return Buffer.concat([encodeId(EbmlId.Cluster), UNKNOWN_SIZE_8, uintElement(EbmlId.Timestamp, c.timecode), ...c.frames.map(simpleBlock)]);
}

export function eofrTags(): Buffer {
  return tagsElement([[END_OF_FRAGMENT_TAG, '']]);
}

export function metadataTags(items: Array<[string, string]>): Buffer {
  return tagsElement(items);
}

export function header(tracks: readonly FixtureTrack[] = [{ number: 1 }], timestampScaleNs = 1_000_000): Buffer {
  return Buffer.concat([ebmlHeader(), segmentStart(), info(timestampScaleNs), tracksElement(tracks)]);
}

/** `count` clusters of `framesPerCluster` frames at `frameMs` spacing, starting at `startMs`, all tracks. */
export function clusters(count: number, opts: { startMs?: number; framesPerCluster?: number; frameMs?: number; tracks?: number[] } = {}): FixtureCluster[] {
  const start = opts.startMs ?? 0;
  const n = opts.framesPerCluster ?? 10;
  const frameMs = opts.frameMs ?? 100;
  const tracks = opts.tracks ?? [1];
  const out: FixtureCluster[] = [];
  for (let i = 0; i < count; i++) {
    const timecode = start + i * n * frameMs;
    const frames: FixtureFrame[] = [];
    for (let k = 0; k < n; k++) for (const track of tracks) frames.push({ track, timecode: k * frameMs, keyframe: k === 0 && track === tracks[0] });
    out.push({ timecode, frames });
  }
  return out;
}

/** A whole PutMedia body: header, clusters, then the END_OF_FRAGMENT tag. */
export function mkvStream(opts: { tracks?: FixtureTrack[]; clusters?: FixtureCluster[]; eofr?: boolean } = {}): Buffer {
  return Buffer.concat([header(opts.tracks), ...(opts.clusters ?? clusters(3)).map(cluster), ...(opts.eofr === false ? [] : [eofrTags()])]);
}

export type SignOptions = {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  signingDate?: Date;
};

/** Signs a request like an AWS SDK client would, returning the headers to send. */
export async function signRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; streaming?: boolean } & SignOptions = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: opts.accessKeyId ?? ACCESS_KEY,
      secretAccessKey: opts.secretAccessKey ?? SECRET_KEY,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    },
    region: opts.region ?? REGION,
    service: opts.service ?? 'kinesisvideo',
    sha256: Sha256,
    applyChecksum: false,
  });
  const req = new HttpRequest({
    method: opts.method ?? 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    headers: { host: u.host, ...(opts.headers ?? {}) },
    // PutMedia signs the empty payload (the body is streamed).
    body: opts.streaming ? '' : opts.body ?? '',
  });
  const signed = await signer.sign(req, opts.signingDate ? { signingDate: opts.signingDate } : {});
  return signed.headers as Record<string, string>;
}

export const testAgent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });

/** Signed JSON POST (control plane or archived media). */
export async function postJson(baseUrl: string, path: string, body: unknown, sign: SignOptions = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json: () => unknown }> {
  const text = JSON.stringify(body);
  const headers = await signRequest(`${baseUrl}${path}`, { body: text, headers: { 'content-type': 'application/json' }, ...sign });
  const res = await request(`${baseUrl}${path}`, { method: 'POST', headers, body: text, dispatcher: testAgent });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) as unknown };
}

/** ACK event types grouped per fragment, in order of first appearance ("ERROR:id" for errors). */
export function perFragment(acks: AckJson[]): string[] {
  const order: string[] = [];
  const groups = new Map<string, string[]>();
  acks.forEach((a, i) => {
    if (a.EventType === 'IDLE') return;
    const key = a.FragmentNumber ?? `#${i}`;
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    groups.get(key)!.push(a.EventType === 'ERROR' ? `ERROR:${a.ErrorId}` : a.EventType);
  });
  return order.map((k) => groups.get(k)!.join(','));
}

export type AckJson = { EventType: string; FragmentTimecode?: number; FragmentNumber?: string; ErrorId?: number; ErrorCode?: string };

export type PutMediaClient = {
  status: Promise<number>;
  headers: Promise<Record<string, string | string[] | undefined>>;
  /** ACKs as they arrive; `next()` waits for the next one (undefined at the end). */
  next(): Promise<AckJson | undefined>;
  /** All remaining ACKs until the response ends. */
  rest(): Promise<AckJson[]>;
  write(chunk: Buffer): Promise<void>;
  end(): void;
  body: PassThrough;
  errorBody: Promise<string>;
};

/** Starts a full-duplex PutMedia request: write the body in pieces, read ACKs while writing. */
/**
 * Note: undici sends the request line and headers only once the first body chunk is
 * available, so `initial` (default: the MKV header) is written right away.
 */
export async function startPutMedia(baseUrl: string, opts: { streamName?: string; streamArn?: string; timecodeType?: string; producerStart?: string; sign?: SignOptions; extraHeaders?: Record<string, string>; initial?: Buffer } = {}): Promise<PutMediaClient> {
  const url = `${baseUrl}/putMedia`;
  const h: Record<string, string> = { ...(opts.extraHeaders ?? {}) };
  if (opts.streamName !== undefined) h['x-amzn-stream-name'] = opts.streamName;
  if (opts.streamArn !== undefined) h['x-amzn-stream-arn'] = opts.streamArn;
  h['x-amzn-fragment-timecode-type'] = opts.timecodeType ?? 'RELATIVE';
  if (opts.producerStart !== '') h['x-amzn-producer-start-timestamp'] = opts.producerStart ?? (Date.now() / 1000).toFixed(3);
  const headers = await signRequest(url, { headers: h, streaming: true, ...(opts.sign ?? {}) });
  const body = new PassThrough();
  body.write(opts.initial ?? header());
  const queue: AckJson[] = [];
  const waiters: Array<(a: AckJson | undefined) => void> = [];
  let ended = false;
  const push = (a: AckJson | undefined): void => {
    if (a === undefined) ended = true;
    const w = waiters.shift();
    if (w) w(a);
    else if (a) queue.push(a);
  };
  const responsePromise = request(url, { method: 'POST', headers, body, dispatcher: testAgent });
  let resolveErrorBody!: (s: string) => void;
  const errorBody = new Promise<string>((r) => (resolveErrorBody = r));
  const status = responsePromise.then((res) => {
    if (res.statusCode !== 200) {
      void res.body.text().then(resolveErrorBody, () => resolveErrorBody(''));
      push(undefined);
      return res.statusCode;
    }
    resolveErrorBody('');
    let pending = '';
    res.body.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line) push(JSON.parse(line) as AckJson);
      }
    });
    res.body.on('end', () => push(undefined));
    res.body.on('error', () => push(undefined));
    return res.statusCode;
  }, () => {
    resolveErrorBody('');
    push(undefined);
    return -1;
  });
  return {
    status,
    headers: responsePromise.then((r) => r.headers, () => ({})),
    next() {
      const a = queue.shift();
      if (a) return Promise.resolve(a);
      if (ended) return Promise.resolve(undefined);
      return new Promise((r) => waiters.push(r));
    },
    async rest() {
      const out: AckJson[] = [];
      for (;;) {
        const a = await this.next();
        if (!a) return out;
        out.push(a);
      }
    },
    write(chunk) {
      return new Promise((resolve) => {
        if (body.destroyed || body.writableEnded) return resolve();
        if (body.write(chunk)) resolve();
        else body.once('drain', () => resolve());
      });
    },
    end() {
      if (!body.writableEnded) body.end();
    },
    body,
    errorBody,
  };
}

/** Sends a whole body (optionally in pieces of `chunkSize`) and returns the status and all ACKs. */
export async function putMediaAll(baseUrl: string, data: Buffer, opts: Parameters<typeof startPutMedia>[1] & { chunkSize?: number } = {}): Promise<{ status: number; acks: AckJson[]; errorBody: string }> {
  const size = opts.chunkSize ?? data.length;
  const pm = await startPutMedia(baseUrl, { ...opts, initial: data.subarray(0, size) });
  for (let i = size; i < data.length; i += size) await pm.write(data.subarray(i, i + size));
  pm.end();
  const status = await pm.status;
  const acks = await pm.rest();
  return { status, acks, errorBody: await pm.errorBody };
}

/**
 * Rewrites any MKV (e.g. from gst matroskamux or ffmpeg) into the producer's shape: EBML header,
 * unknown-size Segment, Info, Tracks, then one unknown-size Cluster per key frame of the first
 * track (SimpleBlocks only). Returns the body and the number of frames per track.
 */
export function toProducerMkv(input: Buffer, opts: { eofr?: boolean } = {}): { body: Buffer; frames: Record<number, number>; clusters: number } {
  // Imported lazily so that helpers stay usable without the parser in scope.
  const events = parseAll(input);
  let ebml: Buffer | undefined;
  let infoBytes: Buffer | undefined;
  let tracksBytes: Buffer | undefined;
  let firstTrack: number | undefined;
  let clusterTc = 0;
  const blocks: Array<{ abs: number; track: number; keyframe: boolean; bytes: Buffer }> = [];
  let pendingBlock: { track: number; timecode: number; keyframe: boolean } | undefined;
  for (const ev of events) {
    if (ev.type === 'ebml-header') ebml = ev.bytes;
    else if (ev.type === 'info') infoBytes = ev.bytes;
    else if (ev.type === 'tracks') {
      tracksBytes = ev.bytes;
      firstTrack = ev.tracks[0]?.number;
    } else if (ev.type === 'cluster-timecode') clusterTc = ev.timecode;
    else if (ev.type === 'block') pendingBlock = ev;
    else if (ev.type === 'cluster-data' && pendingBlock) {
      const b = ev.bytes;
      if ((b[0] === 0xa3)) {
        blocks.push({ abs: clusterTc + pendingBlock.timecode, track: pendingBlock.track, keyframe: pendingBlock.keyframe, bytes: b });
      }
      pendingBlock = undefined;
    }
  }
  if (!ebml || !tracksBytes) throw new Error('input has no EBML header or Tracks');
  const out: Buffer[] = [ebml, segmentStart(), infoBytes ?? info(), tracksBytes];
  const frames: Record<number, number> = {};
  let clusterStart: number | undefined;
  let nClusters = 0;
  for (const blk of blocks) {
    if (clusterStart === undefined || (blk.keyframe && blk.track === firstTrack)) {
      clusterStart = blk.abs;
      nClusters++;
      out.push(encodeId(EbmlId.Cluster), UNKNOWN_SIZE_8, uintElement(EbmlId.Timestamp, clusterStart));
    }
    const copy = Buffer.from(blk.bytes);
    // SimpleBlock: ID (1) + size VINT + track VINT + int16 timecode.
    const sizeLen = Math.clz32(copy[1]!) - 23;
    const trackLen = Math.clz32(copy[1 + sizeLen]!) - 23;
    copy.writeInt16BE(blk.abs - clusterStart, 1 + sizeLen + trackLen);
    out.push(copy);
    frames[blk.track] = (frames[blk.track] ?? 0) + 1;
  }
  if (opts.eofr !== false) out.push(eofrTags());
  return { body: Buffer.concat(out), frames, clusters: nClusters };
}

import { createMkvParser, type MkvEvent } from '../../../src/local/mkv-parser.js';

function parseAll(input: Buffer): MkvEvent[] {
  const p = createMkvParser();
  return [...p.push(input), ...p.end()];
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKvs, type LocalKvs, type LocalKvsOptions } from '../../../src/local/server.js';

export type TestServer = { kvs: LocalKvs; dir: string; logs: Array<Record<string, unknown>>; stop(): Promise<void>; restart(extra?: Partial<LocalKvsOptions>): Promise<LocalKvs> };

/** Starts a server on 127.0.0.1 with a fresh data directory (ACTIVE at once, no fsync unless asked). */
export async function startTestServer(opts: Partial<LocalKvsOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'kvs-local-test-'));
  const logs: Array<Record<string, unknown>> = [];
  const make = (extra: Partial<LocalKvsOptions> = {}) =>
    startLocalKvs({ dataDir: dir, activationDelayMs: 0, fsync: false, lingerMs: 200, log: (e) => logs.push(e), ...opts, ...extra });
  const t: TestServer = {
    kvs: await make(),
    dir,
    logs,
    async stop() {
      await t.kvs.close();
      await rm(dir, { recursive: true, force: true });
    },
    async restart(extra) {
      await t.kvs.close();
      t.kvs = await make(extra);
      return t.kvs;
    },
  };
  return t;
}

export async function createStream(kvs: LocalKvs, name: string, retentionHours = 24): Promise<string> {
  const r = await postJson(kvs.url, '/createStream', { StreamName: name, DataRetentionInHours: retentionHours });
  if (r.status !== 200) throw new Error(`createStream failed: ${r.status} ${r.body.toString()}`);
  return (r.json() as { StreamARN: string }).StreamARN;
}
