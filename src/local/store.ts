/**
 * On-disk state of the local endpoint. Layout under `dataDir`:
 *
 *   streams/<name>/stream.json          stream metadata (StreamInfo fields, tags)
 *   streams/<name>/fragments.jsonl      fragment index, one JSON object per line, ingestion order
 *   streams/<name>/fragments/<n>.mkv    one chunk per fragment: EBML header + Segment (unknown
 *                                       size) + Info + Tracks + Tags (service tags) + Cluster
 *   streams/<name>/sessions/<k>.mkv     raw body of the k-th PutMedia session, byte for byte
 *   streams/<name>/sessions/<k>.json    session summary (headers, ACK counts, end reason)
 *   streams/<name>/metrics.json         last snapshot of the stream's counters
 *   trash/                              deleted streams on their way out
 *
 * Everything a restarted server needs is re-read from these files.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export type StreamRecord = {
  streamName: string;
  streamArn: string;
  /** Epoch ms. */
  creationTimeMs: number;
  status: StreamStatus;
  dataRetentionInHours: number;
  deviceName?: string;
  kmsKeyId?: string;
  mediaType?: string;
  version: string;
  tags: Record<string, string>;
  /** Epoch ms at which a CREATING/UPDATING/DELETING stream moves on. */
  transitionAtMs?: number;
};

/** One fragment as stored in fragments.jsonl. */
export type FragmentIndexEntry = {
  fragmentNumber: string;
  producerTimestampMs: number;
  serverTimestampMs: number;
  /** Cluster timecode as sent, in TimestampScale units. */
  fragmentTimecode: number;
  durationMs: number;
  frameCount: number;
  framesPerTrack: Record<number, number>;
  /** Bytes of the Cluster as received in the PutMedia body. */
  sizeBytes: number;
  /** Chunk file, relative to the stream directory. */
  file: string;
  /** Byte ranges inside the chunk file. */
  headerBytes: number;
  tagsBytes: number;
  clusterBytes: number;
  /** Written with DataRetentionInHours > 0 (a PERSISTED ack was due). */
  persisted: boolean;
  session: number;
  /** Producer metadata tags (name, value) carried with this fragment. */
  metadata?: Array<[string, string]>;
};

export function streamsDir(dataDir: string): string {
  return join(dataDir, 'streams');
}

export function streamDir(dataDir: string, streamName: string): string {
  return join(streamsDir(dataDir), streamName);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

export async function saveStreamRecord(dataDir: string, record: StreamRecord): Promise<void> {
  const dir = streamDir(dataDir, record.streamName);
  await mkdir(join(dir, 'fragments'), { recursive: true });
  await mkdir(join(dir, 'sessions'), { recursive: true });
  await writeJsonAtomic(join(dir, 'stream.json'), record);
}

/**
 * Removes a deleted stream's directory. It is first renamed (synchronously) out of `streams/`,
 * so that a stream re-created with the same name at once cannot lose files to the removal.
 */
export async function removeStreamDir(dataDir: string, streamName: string): Promise<void> {
  const trash = join(dataDir, 'trash');
  const target = join(trash, `${streamName}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    mkdirSync(trash, { recursive: true });
    renameSync(streamDir(dataDir, streamName), target);
  } catch {
    return;
  }
  await rm(target, { recursive: true, force: true });
}

export async function saveJson(path: string, value: unknown): Promise<void> {
  await writeJsonAtomic(path, value);
}

export type LoadedStream = { record: StreamRecord; fragments: FragmentIndexEntry[]; sessions: number; metrics?: unknown };

export async function readFragmentIndex(dir: string): Promise<FragmentIndexEntry[]> {
  let text: string;
  try {
    text = await readFile(join(dir, 'fragments.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const out: FragmentIndexEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as FragmentIndexEntry);
    } catch {
      // A torn last line after a crash: the fragment was never acknowledged as persisted.
    }
  }
  return out;
}

export async function countSessions(dir: string): Promise<number> {
  try {
    const names = await readdir(join(dir, 'sessions'));
    let max = 0;
    for (const n of names) {
      const m = /^(\d+)\.mkv$/.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  } catch {
    return 0;
  }
}

export async function loadStreams(dataDir: string): Promise<LoadedStream[]> {
  let names: string[];
  try {
    names = await readdir(streamsDir(dataDir));
  } catch {
    return [];
  }
  const out: LoadedStream[] = [];
  for (const name of names.sort()) {
    const dir = streamDir(dataDir, name);
    let record: StreamRecord;
    try {
      record = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as StreamRecord;
    } catch {
      continue;
    }
    let metrics: unknown;
    try {
      metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    } catch {
      metrics = undefined;
    }
    out.push({ record, fragments: await readFragmentIndex(dir), sessions: await countSessions(dir), metrics });
  }
  return out;
}

/** Writes a chunk file and (optionally) forces it to disk before resolving. */
export async function writeDurable(path: string, parts: readonly Buffer[], fsync: boolean): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const p of parts) await handle.write(p);
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

export async function appendIndex(dir: string, entry: FragmentIndexEntry, fsync: boolean): Promise<void> {
  const line = `${JSON.stringify(entry)}\n`;
  if (!fsync) {
    await appendFile(join(dir, 'fragments.jsonl'), line);
    return;
  }
  const handle = await open(join(dir, 'fragments.jsonl'), 'a');
  try {
    await handle.write(line);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
