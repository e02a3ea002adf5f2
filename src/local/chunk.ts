/**
 * KVS "chunks" (How It Works, L401–408): a copy of the MKV header the producer sent, one
 * fragment (Cluster), and KVS-specific metadata as MKV tags (fragment number, server and
 * producer timestamps). Stored chunk files carry the GetMedia tag names; GetMediaForFragmentList
 * uses its own names (…_SERVER_SIDE_TIMESTAMP, …_PRODUCER_SIDE_TIMESTAMP, L11477–11481).
 */
import { readFile } from 'node:fs/promises';
import { EbmlId } from '../mkv/ebml-id.js';
import { encodeId, encodeSize, tagsElement, UNKNOWN_SIZE_8 } from './ebml.js';
import type { FragmentIndexEntry } from './store.js';

export const TAG_FRAGMENT_NUMBER = 'AWS_KINESISVIDEO_FRAGMENT_NUMBER';
export const TAG_SERVER_TIMESTAMP = 'AWS_KINESISVIDEO_SERVER_TIMESTAMP';
export const TAG_PRODUCER_TIMESTAMP = 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP';
export const TAG_SERVER_SIDE_TIMESTAMP = 'AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP';
export const TAG_PRODUCER_SIDE_TIMESTAMP = 'AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP';
export const TAG_CONTINUATION_TOKEN = 'AWS_KINESISVIDEO_CONTINUATION_TOKEN';
export const TAG_MILLIS_BEHIND_NOW = 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW';
export const TAG_ERROR_CODE = 'AWS_KINESISVIDEO_ERROR_CODE';
export const TAG_ERROR_ID = 'AWS_KINESISVIDEO_ERROR_ID';
export const TAG_EXCEPTION_ERROR_CODE = 'AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE';
export const TAG_EXCEPTION_MESSAGE = 'AWS_KINESISVIDEO_EXCEPTION_MESSAGE';

/** Epoch ms → the seconds-with-milliseconds string KVS puts in timestamp tags ("1700000000.123"). */
export function formatTagTimestamp(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** EBML header + Segment (unknown size) + Info + Tracks: the "media metadata" copied into every chunk. */
export function chunkHeader(ebmlHeader: Buffer, info: Buffer | undefined, tracks: Buffer): Buffer {
  return Buffer.concat([ebmlHeader, encodeId(EbmlId.Segment), UNKNOWN_SIZE_8, info ?? Buffer.alloc(0), tracks]);
}

/** A Cluster element with a known size around the given children (Timestamp, blocks, ...). */
export function knownSizeCluster(children: readonly Buffer[], childrenBytes: number): Buffer[] {
  return [encodeId(EbmlId.Cluster), encodeSize(childrenBytes), ...children];
}

export type ChunkParts = { header: Buffer; tags: Buffer; cluster: Buffer };

/** Reads a stored chunk file back into its three parts, using the byte ranges in the index. */
export async function readChunk(path: string, entry: FragmentIndexEntry): Promise<ChunkParts> {
  const data = await readFile(path);
  const header = data.subarray(0, entry.headerBytes);
  const tags = data.subarray(entry.headerBytes, entry.headerBytes + entry.tagsBytes);
  const cluster = data.subarray(entry.headerBytes + entry.tagsBytes, entry.headerBytes + entry.tagsBytes + entry.clusterBytes);
  if (cluster.length !== entry.clusterBytes) throw new Error(`chunk file ${path} is shorter than its index entry`);
  return { header, tags, cluster };
}

export function serviceTags(entry: FragmentIndexEntry, names: 'get-media' | 'fragment-list'): Buffer {
  const list: Array<[string, string]> = [
    [TAG_FRAGMENT_NUMBER, entry.fragmentNumber],
    [names === 'get-media' ? TAG_SERVER_TIMESTAMP : TAG_SERVER_SIDE_TIMESTAMP, formatTagTimestamp(entry.serverTimestampMs)],
    [names === 'get-media' ? TAG_PRODUCER_TIMESTAMP : TAG_PRODUCER_SIDE_TIMESTAMP, formatTagTimestamp(entry.producerTimestampMs)],
    ...(entry.metadata ?? []),
  ];
  return tagsElement(list);
}
