/**
 * Offline views of a data directory (no server needed): a stream summary for the demo and
 * tests, and an export of a stream (or a time range of it) to one playable .mkv.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EbmlId } from '../mkv/ebml-id.js';
import { readChunk } from './chunk.js';
import { children, encodeId, encodeSize, readId, readSize, uintElement } from './ebml.js';
import { restoreMetrics, type StreamMetrics } from './metrics.js';
import { createMkvParser } from './mkv-parser.js';
import { readFragmentIndex, streamDir, type FragmentIndexEntry, type StreamRecord } from './store.js';

export type StreamSummary = {
  streamName: string;
  status: StreamRecord['status'];
  dataRetentionInHours: number;
  fragments: number;
  frames: number;
  framesPerTrack: Record<string, number>;
  /** Cluster bytes received (sum of fragment sizes). */
  bytes: number;
  /** Sum of fragment durations. */
  durationMs: number;
  firstProducerTimestampMs: number | null;
  lastProducerTimestampMs: number | null;
  sessions: number;
  /** ACKs sent, by EventType, over all sessions. */
  acks: Record<string, number>;
  /** ERROR ACKs by ErrorId. */
  errorAcks: Record<string, number>;
  metrics: StreamMetrics;
};

type SessionSummary = { acks?: Record<string, number> };

export async function summarizeStream(dataDir: string, streamName: string): Promise<StreamSummary> {
  const dir = streamDir(dataDir, streamName);
  const record = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as StreamRecord;
  const fragments = await readFragmentIndex(dir);
  let metrics: StreamMetrics;
  try {
    metrics = restoreMetrics(JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')));
  } catch {
    metrics = restoreMetrics(undefined);
  }
  // ACK counts from the per-session summaries (written when each session ends), which are
  // exact even if the server was killed before its last metrics flush.
  const acks: Record<string, number> = { BUFFERING: 0, RECEIVED: 0, PERSISTED: 0, ERROR: 0, IDLE: 0 };
  let sessions = 0;
  try {
    for (const name of await readdir(join(dir, 'sessions'))) {
      if (!name.endsWith('.json')) continue;
      sessions++;
      try {
        const s = JSON.parse(await readFile(join(dir, 'sessions', name), 'utf8')) as SessionSummary;
        for (const [k, v] of Object.entries(s.acks ?? {})) acks[k] = (acks[k] ?? 0) + v;
      } catch {
        // Ignore a torn session summary.
      }
    }
  } catch {
    // No sessions yet.
  }
  const framesPerTrack: Record<string, number> = {};
  let frames = 0;
  let bytes = 0;
  let durationMs = 0;
  for (const f of fragments) {
    frames += f.frameCount;
    bytes += f.sizeBytes;
    durationMs += f.durationMs;
    for (const [t, n] of Object.entries(f.framesPerTrack)) framesPerTrack[t] = (framesPerTrack[t] ?? 0) + n;
  }
  return {
    streamName: record.streamName,
    status: record.status,
    dataRetentionInHours: record.dataRetentionInHours,
    fragments: fragments.length,
    frames,
    framesPerTrack,
    bytes,
    durationMs,
    firstProducerTimestampMs: fragments[0]?.producerTimestampMs ?? null,
    lastProducerTimestampMs: fragments[fragments.length - 1]?.producerTimestampMs ?? null,
    sessions,
    acks,
    errorAcks: { ...metrics.ErrorAcks },
    metrics,
  };
}

export type ExportOptions = {
  /** Only fragments whose start timestamp is in [startMs, endMs] (epoch ms). */
  startMs?: number;
  endMs?: number;
  /** Which timestamp the range applies to (default producer). */
  timestamp?: 'producer' | 'server';
  /**
   * Rewrite cluster timecodes from the producer timestamps so the file starts at 0 and stays
   * monotonic across PutMedia sessions (default true).
   */
  rebase?: boolean;
};

export type ExportResult = { file: string; fragments: number; frames: number; bytes: number; segments: number };

function timestampScaleOf(header: Buffer): number {
  const p = createMkvParser();
  for (const ev of [...p.push(header)]) if (ev.type === 'info') return ev.timestampScaleNs;
  return 1_000_000;
}

/** Replaces the Cluster's Timestamp child (the cluster has a known size, as stored). */
function retimeCluster(cluster: Buffer, timecode: number): Buffer {
  const id = readId(cluster, 0);
  const size = id ? readSize(cluster, id.length) : undefined;
  if (!id || !size || id.id !== EbmlId.Cluster) return cluster;
  const payload = cluster.subarray(id.length + size.length);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const c of children(payload)) {
    const headerLen = c.data.byteOffset - payload.byteOffset - pos;
    const whole = payload.subarray(pos, pos + headerLen + c.data.length);
    pos += whole.length;
    parts.push(c.id === EbmlId.Timestamp ? uintElement(EbmlId.Timestamp, timecode) : whole);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([encodeId(EbmlId.Cluster), encodeSize(body.length), body]);
}

/**
 * Concatenates a stream's fragments into one .mkv: the MKV header once, then every cluster.
 * When the header changes between fragments (a new session with other codec private data),
 * a new EBML header + Segment starts there (players and ffprobe read on).
 */
export async function exportStream(dataDir: string, streamName: string, outFile: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const dir = streamDir(dataDir, streamName);
  const key = opts.timestamp === 'server' ? 'serverTimestampMs' : 'producerTimestampMs';
  const selected: FragmentIndexEntry[] = (await readFragmentIndex(dir)).filter(
    (f) => (opts.startMs === undefined || f[key] >= opts.startMs) && (opts.endMs === undefined || f[key] <= opts.endMs),
  );
  const out: Buffer[] = [];
  let currentHeader: Buffer | undefined;
  let scaleNs = 1_000_000;
  let segments = 0;
  let frames = 0;
  const baseMs = selected[0]?.producerTimestampMs ?? 0;
  for (const f of selected) {
    const parts = await readChunk(join(dir, f.file), f);
    if (!currentHeader || !currentHeader.equals(parts.header)) {
      currentHeader = Buffer.from(parts.header);
      scaleNs = timestampScaleOf(currentHeader);
      out.push(currentHeader);
      segments++;
    }
    const cluster = opts.rebase === false ? parts.cluster : retimeCluster(parts.cluster, Math.round(((f.producerTimestampMs - baseMs) * 1e6) / scaleNs));
    out.push(cluster);
    frames += f.frameCount;
  }
  const data = Buffer.concat(out);
  await writeFile(outFile, data);
  return { file: outFile, fragments: selected.length, frames, bytes: data.length, segments };
}
