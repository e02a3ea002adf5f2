/**
 * Per-stream counters named after the CloudWatch metrics the guide lists (Monitoring,
 * L5512–5600): PutMedia.*, GetMedia.*, GetMediaForFragmentList.*, ListFragments.*.
 * Latencies are kept as count/sum/min/max/last in milliseconds. `Acks` counts the ACKs sent
 * by event type and `ErrorAcks` by ErrorId (not CloudWatch names; useful in tests).
 */

export type LatencyStat = { count: number; sumMs: number; minMs: number; maxMs: number; lastMs: number };

const COUNTERS = [
  'PutMedia.Requests',
  'PutMedia.IncomingBytes',
  'PutMedia.IncomingFragments',
  'PutMedia.IncomingFrames',
  'PutMedia.ActiveConnections',
  'PutMedia.ConnectionErrors',
  'PutMedia.ErrorAckCount',
  'PutMedia.SuccessSum',
  'PutMedia.SuccessCount',
  'GetMedia.Requests',
  'GetMedia.OutgoingBytes',
  'GetMedia.OutgoingFragments',
  'GetMedia.OutgoingFrames',
  'GetMedia.ConnectionErrors',
  'GetMedia.MillisBehindNow',
  'GetMediaForFragmentList.Requests',
  'GetMediaForFragmentList.OutgoingBytes',
  'GetMediaForFragmentList.OutgoingFragments',
  'GetMediaForFragmentList.OutgoingFrames',
  'ListFragments.Requests',
  'ArchivedFragmentsConsumed.Media',
  'ArchivedFragmentsConsumed.Metadata',
] as const;

const LATENCIES = [
  'PutMedia.Latency',
  'PutMedia.FragmentIngestionLatency',
  'PutMedia.FragmentPersistLatency',
  'PutMedia.BufferingAckLatency',
  'PutMedia.ReceivedAckLatency',
  'PutMedia.PersistedAckLatency',
  'ListFragments.Latency',
] as const;

export type CounterName = (typeof COUNTERS)[number];
export type LatencyName = (typeof LATENCIES)[number];

export type StreamMetrics = Record<CounterName, number> &
  Record<LatencyName, LatencyStat> & {
    Acks: Record<'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'ERROR' | 'IDLE', number>;
    ErrorAcks: Record<string, number>;
  };

export function emptyMetrics(): StreamMetrics {
  const m: Record<string, unknown> = {};
  for (const c of COUNTERS) m[c] = 0;
  for (const l of LATENCIES) m[l] = { count: 0, sumMs: 0, minMs: 0, maxMs: 0, lastMs: 0 };
  m.Acks = { BUFFERING: 0, RECEIVED: 0, PERSISTED: 0, ERROR: 0, IDLE: 0 };
  m.ErrorAcks = {};
  return m as StreamMetrics;
}

/** Restores a persisted snapshot, tolerating missing fields from older versions. */
export function restoreMetrics(snapshot: unknown): StreamMetrics {
  const m = emptyMetrics();
  if (typeof snapshot !== 'object' || snapshot === null) return m;
  const s = snapshot as Record<string, unknown>;
  for (const c of COUNTERS) if (typeof s[c] === 'number') m[c] = s[c] as number;
  for (const l of LATENCIES) if (typeof s[l] === 'object' && s[l] !== null) m[l] = { ...m[l], ...(s[l] as LatencyStat) };
  if (typeof s.Acks === 'object' && s.Acks !== null) m.Acks = { ...m.Acks, ...(s.Acks as StreamMetrics['Acks']) };
  if (typeof s.ErrorAcks === 'object' && s.ErrorAcks !== null) m.ErrorAcks = { ...(s.ErrorAcks as Record<string, number>) };
  // Connections do not survive a restart.
  m['PutMedia.ActiveConnections'] = 0;
  return m;
}

export function recordLatency(m: StreamMetrics, name: LatencyName, ms: number): void {
  const s = m[name];
  s.minMs = s.count === 0 ? ms : Math.min(s.minMs, ms);
  s.maxMs = s.count === 0 ? ms : Math.max(s.maxMs, ms);
  s.count++;
  s.sumMs += ms;
  s.lastMs = ms;
}
