/**
 * Shared state of one running local endpoint: resolved options, streams, limits, faults,
 * logging. Handlers (control plane, PutMedia, archived media) receive it explicitly.
 */
import type { FaultRegistry } from './faults.js';
import type { StreamMetrics } from './metrics.js';
import type { TokenBucket, WindowLimiter } from './rate-limit.js';
import type { CredentialSet } from './sigv4.js';
import type { FragmentIndexEntry, StreamRecord } from './store.js';

export type LogFields = Record<string, unknown>;
export type LogFn = (entry: { time: string; level: 'debug' | 'info' | 'warn' | 'error'; event: string } & LogFields) => void;

/** Service limits (Kinesis Video Streams Limits, L5898–6010); each can be overridden for tests. */
export type LocalKvsLimits = {
  /** PutMedia calls per second per stream (5 TPS [h]). */
  putMediaTps: number;
  /** PutMedia bytes per second per stream (12.5 MB/s [s]). */
  putMediaBytesPerSecond: number;
  /** Maximum fragment size (50 MB [h]). */
  maxFragmentBytes: number;
  /** Maximum span of frame timecodes in a fragment (10 s: ErrorId 4002's text). */
  maxFragmentDurationMs: number;
  /** Maximum number of tracks (3 [s]). */
  maxTracks: number;
  /** Stream-level control-plane TPS (5 TPS [h] for Describe, GetDataEndpoint, ...). */
  controlPlaneStreamTps: number;
  /** GetMedia calls per second per stream (5 TPS [h]). */
  getMediaTps: number;
  /** Concurrent GetMedia connections per stream (3 [s]). */
  getMediaConnections: number;
  /** Concurrent GetMediaForFragmentList connections per stream (5 [s]). */
  getMediaForFragmentListConnections: number;
  /** Fragment metadata items per fragment (Streaming Metadata Limitations: 10). */
  maxFragmentMetadataItems: number;
  /** Fragment-metadata quota points per second per stream (ListFragments uses MaxResults points). */
  fragmentMetadataQuotaPerSecond: number;
  /** Fragment-media quota points per second per stream (GetMediaForFragmentList: one per fragment). */
  fragmentMediaQuotaPerSecond: number;
};

export const DEFAULT_LIMITS: LocalKvsLimits = {
  putMediaTps: 5,
  putMediaBytesPerSecond: 12.5 * 1000 * 1000,
  maxFragmentBytes: 50 * 1000 * 1000,
  maxFragmentDurationMs: 10_000,
  maxTracks: 3,
  controlPlaneStreamTps: 5,
  getMediaTps: 5,
  getMediaConnections: 3,
  getMediaForFragmentListConnections: 5,
  maxFragmentMetadataItems: 10,
  // The guide's worked examples use 10,000 metadata and 500 media points per second.
  fragmentMetadataQuotaPerSecond: 10_000,
  fragmentMediaQuotaPerSecond: 500,
};

export type ResolvedOptions = {
  host: string;
  port: number;
  dataDir: string;
  credentials: CredentialSet[];
  region: string;
  accountId: string;
  activationDelayMs: number;
  idleAckIntervalMs: number;
  idleTimeoutMs: number;
  maxConnectionDurationMs: number;
  producerTimestampFutureLimitMs: number;
  getMediaIdleMs: number;
  lingerMs: number;
  clockOffsetMs: number;
  fsync: boolean;
  keepRawSessions: boolean;
  limits: LocalKvsLimits;
  kmsKeyErrors: Record<string, number>;
  publicUrl?: string;
};

export type PutMediaHandle = {
  id: number;
  /** Ends the session: a newer connection replaced it, the stream was deleted, or the server is closing. */
  terminate(reason: 'replaced' | 'stream-deleted' | 'server-closing'): void;
};

export type StreamState = {
  record: StreamRecord;
  dir: string;
  fragments: FragmentIndexEntry[];
  sessions: number;
  metrics: StreamMetrics;
  putMedia: Set<PutMediaHandle>;
  /** Woken whenever a fragment is stored (GetMedia waits on it). */
  fragmentWaiters: Set<() => void>;
  getMediaConnections: number;
  gfflConnections: number;
  ingestBucket: TokenBucket;
  metadataQuota: TokenBucket;
  mediaQuota: TokenBucket;
  transitionTimer?: NodeJS.Timeout;
  metricsDirty: boolean;
};

export type LocalContext = {
  options: ResolvedOptions;
  url: string;
  streams: Map<string, StreamState>;
  /** Streams by ARN (ARNs stay unique across delete/re-create because of the creation-time suffix). */
  faults: FaultRegistry;
  limiter: WindowLimiter;
  log(level: 'debug' | 'info' | 'warn' | 'error', event: string, fields?: LogFields): void;
  now(): number;
  nextFragmentNumber(): string;
  saveStream(stream: StreamState): Promise<void>;
  saveMetrics(stream: StreamState): void;
  /** Applies due CREATING→ACTIVE / DELETING→gone transitions. */
  refreshStatus(stream: StreamState): void;
  createStreamState(record: StreamRecord): StreamState;
  deleteStream(stream: StreamState): void;
  /** Sockets we must destroy on close (long-lived responses, black-holed requests). */
  trackSocket(socket: import('node:net').Socket): void;
  /** Background work (fragment writes) that close() waits for. */
  trackWork(work: Promise<unknown>): void;
  closing: boolean;
};

export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
export const STREAM_ARN_PATTERN = /^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+\/[a-zA-Z0-9_.-]+\/[0-9]+$/;

export function streamArn(ctx: { options: ResolvedOptions }, name: string, creationTimeMs: number): string {
  return `arn:aws:kinesisvideo:${ctx.options.region}:${ctx.options.accountId}:stream/${name}/${creationTimeMs}`;
}

export function findStreamByArn(ctx: LocalContext, arn: string): StreamState | undefined {
  for (const s of ctx.streams.values()) if (s.record.streamArn === arn) return s;
  return undefined;
}
