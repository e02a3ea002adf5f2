/**
 * The config record: what the element sends first on the ring (native/ring/FORMAT.md),
 * parsed and validated against the schema into typed settings for the worker.
 */
import { PROPERTIES, UNSET_SENTINELS, type PropertySpec } from './schema.js';

export type StreamingType = 'realtime' | 'near-realtime' | 'offline';

export interface TrackDeclaration {
  track: number;
  kind: 'video' | 'audio';
  pad: string;
  /** The pad's current caps, when the element had them at attach time (a restarted worker). */
  caps?: string;
}

/** Property values by name, as the element holds them (sentinels already mapped to undefined). */
export type PropertyValues = Record<string, string | number | boolean | bigint | null | undefined>;

export interface KvsSinkSettings {
  element: string;
  gstreamerVersion: string;
  tracks: TrackDeclaration[];
  /** Raw values by property name, for anything not lifted into a field below. */
  values: PropertyValues;
  /** Names of properties whose value differs from the schema default. */
  explicitlySet: Set<string>;
  streamName: string;
  userAgent: string;
  retentionHours: number;
  streamingType: StreamingType;
  contentType: string;
  maxLatencyMs: number;
  fragmentDurationMs: number;
  timecodeScaleMs: number;
  keyFrameFragmentation: boolean;
  frameTimecodes: boolean;
  absoluteFragmentTimes: boolean;
  fragmentAcks: boolean;
  restartOnError: boolean;
  recalculateMetrics: boolean;
  framerate: number;
  avgBandwidthBps: number;
  bufferDurationMs: number;
  replayDurationMs: number;
  connectionStalenessMs: number;
  codecId: string;
  trackName: string;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  awsRegion: string;
  rotationPeriodS: number;
  storageSizeBytes: number;
  stopStreamTimeoutMs: number;
  connectionTimeoutMs: number;
  completionTimeoutMs: number;
  credentialPath: string;
  iotCertificate?: string;
  streamTags?: string;
  fileStartTimeS: bigint;
  disableBufferClipping: boolean;
  useOriginalPts: boolean;
  getKvsMetrics: boolean;
  allowCreateStream: boolean;
}

/** A problem with the settings: names the property and how to fix it. */
export class SettingsError extends Error {
  constructor(readonly property: string, message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

const STREAMING_TYPES: StreamingType[] = ['realtime', 'near-realtime', 'offline'];
/** Stream names as CreateStream/PutMedia accept them (guide: StreamName pattern, 1–256). */
const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;

function isDefault(spec: PropertySpec, value: unknown): boolean {
  if (spec.type === 'uint64') return BigInt(value as number | string) === spec.default;
  return value === spec.default;
}

function coerce(spec: PropertySpec, raw: unknown): PropertyValues[string] {
  switch (spec.type) {
    case 'string':
    case 'structure':
      if (raw === null || raw === undefined) return undefined;
      if (typeof raw !== 'string') throw new SettingsError(spec.name, `Property "${spec.name}" must be a string`);
      if (spec.type === 'string') checkStringLimits(spec, raw);
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') throw new SettingsError(spec.name, `Property "${spec.name}" must be a boolean`);
      return raw;
    case 'uint':
    case 'enum': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) {
        throw new SettingsError(spec.name, `Property "${spec.name}" must be an integer`);
      }
      if (spec.type === 'uint' && (raw < spec.min || raw > spec.max)) {
        throw new SettingsError(spec.name, `Property "${spec.name}" must be between ${spec.min} and ${spec.max}`);
      }
      if (spec.type === 'enum' && !spec.values.some((v) => v.value === raw)) {
        throw new SettingsError(spec.name, `Property "${spec.name}" has no value ${raw}`);
      }
      return raw;
    }
    case 'uint64': {
      if (typeof raw !== 'number' && typeof raw !== 'string') {
        throw new SettingsError(spec.name, `Property "${spec.name}" must be an integer`);
      }
      const value = BigInt(raw);
      if (value < spec.min || value > spec.max) {
        throw new SettingsError(spec.name, `Property "${spec.name}" is out of range`);
      }
      return value;
    }
  }
}

/** The element refuses these at NULL→READY already; a config record from elsewhere is checked too. */
function checkStringLimits(spec: PropertySpec & { type: 'string' }, value: string): void {
  const length = [...value].length;
  const tooShort = spec.minLength !== undefined && length < spec.minLength && (length > 0 || spec.required);
  const tooLong = spec.maxLength !== undefined && length > spec.maxLength;
  const badChars = spec.charset !== undefined && length > 0 && !new RegExp(`^[${spec.charset}]*$`).test(value);
  if (tooShort || tooLong || badChars) {
    const shown = spec.secret ? `(${length} characters, not shown)` : JSON.stringify(value);
    throw new SettingsError(spec.name, `Invalid "${spec.name}" ${shown}: allowed are ${spec.minLength ?? 0} to ` +
      `${spec.maxLength ?? 'any number of'} characters${spec.charset ? ` of [${spec.charset}]` : ''}` +
      `${spec.limit ? `, because ${spec.limit}` : ''}`);
  }
}

/**
 * Parses the config record's JSON text. JSON numbers lose precision above 2^53, so the
 * one 64-bit property is re-read from the text.
 */
export function parseConfigRecord(text: string): KvsSinkSettings {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SettingsError('config', `The config record is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new SettingsError('config', 'The config record is not an object');
  const record = doc as { version?: unknown; element?: unknown; gstreamer?: unknown; properties?: unknown; tracks?: unknown };
  if (record.version !== 2) throw new SettingsError('config', `Unsupported config record version ${String(record.version)}`);
  const props = (record.properties ?? {}) as Record<string, unknown>;
  const exact = /"file-start-time":(\d+)/.exec(text);
  if (exact && typeof props['file-start-time'] === 'number') props['file-start-time'] = exact[1];

  const values: PropertyValues = {};
  const explicitlySet = new Set<string>();
  for (const spec of PROPERTIES) {
    const raw = props[spec.name];
    if (raw === undefined) {
      const fallback = spec.type === 'structure' ? undefined : (spec.default ?? undefined);
      values[spec.name] = typeof fallback === 'string' && UNSET_SENTINELS[spec.name] === fallback ? undefined : fallback;
      continue;
    }
    let value = coerce(spec, raw);
    // The guide gives 0 the meaning "the default" (the element warns about it).
    if (spec.type === 'uint' && spec.zeroMeansDefault && value === 0) value = spec.default;
    if (value !== undefined && !isDefault(spec, raw)) explicitlySet.add(spec.name);
    if (typeof value === 'string' && UNSET_SENTINELS[spec.name] === value) value = undefined;
    if (typeof value === 'string' && value === '' && spec.secret) value = undefined;
    values[spec.name] = value;
  }

  const tracks = Array.isArray(record.tracks) ? (record.tracks as TrackDeclaration[]) : [];
  return settingsFromValues(values, explicitlySet, {
    element: typeof record.element === 'string' ? record.element : 'kvssink',
    gstreamerVersion: typeof record.gstreamer === 'string' ? record.gstreamer : 'unknown',
    tracks,
  });
}

function str(values: PropertyValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function num(values: PropertyValues, name: string): number {
  return values[name] as number;
}

function bool(values: PropertyValues, name: string): boolean {
  return values[name] as boolean;
}

/** Builds and cross-checks typed settings; throws SettingsError naming the property. */
export function settingsFromValues(values: PropertyValues, explicitlySet: Set<string>,
  meta: { element: string; gstreamerVersion: string; tracks: TrackDeclaration[] }): KvsSinkSettings {
  const streamName = str(values, 'stream-name') ?? '';
  if (!STREAM_NAME_PATTERN.test(streamName)) {
    throw new SettingsError('stream-name', `Invalid "stream-name" ${JSON.stringify(streamName)}: use 1 to 256 ` +
      'characters from a-z, A-Z, 0-9, "_", "." and "-"');
  }
  if (meta.tracks.length === 0) throw new SettingsError('tracks', 'kvssink has no input pads');
  const accessKey = str(values, 'access-key');
  const secretKey = str(values, 'secret-key');
  if (accessKey && !secretKey) {
    throw new SettingsError('secret-key', '"access-key" is set but "secret-key" is not: set both, or neither');
  }
  if (secretKey && !accessKey) {
    throw new SettingsError('access-key', '"secret-key" is set but "access-key" is not: set both, or neither');
  }
  // "This value should be less than the buffer duration; otherwise the buffer duration is used" (guide ~L973).
  const replayDurationS = Math.min(num(values, 'replay-duration'), num(values, 'buffer-duration'));
  let connectionTimeoutS = num(values, 'connection-timeout');
  let completionTimeoutS = num(values, 'completion-timeout');
  // The official blurb: completion "should be more than connection timeout. If it isnt, SDK will override with defaults".
  if (connectionTimeoutS > 0 && completionTimeoutS > 0 && completionTimeoutS <= connectionTimeoutS) {
    connectionTimeoutS = 0;
    completionTimeoutS = 0;
  }
  return {
    element: meta.element,
    gstreamerVersion: meta.gstreamerVersion,
    tracks: meta.tracks,
    values,
    explicitlySet,
    streamName,
    userAgent: str(values, 'user-agent') ?? 'AWS-SDK-KVS-CPP-CLIENT',
    retentionHours: num(values, 'retention-period'),
    streamingType: STREAMING_TYPES[num(values, 'streaming-type')] ?? 'realtime',
    contentType: str(values, 'content-type') ?? 'video/h264',
    maxLatencyMs: num(values, 'max-latency') * 1000,
    fragmentDurationMs: num(values, 'fragment-duration'),
    timecodeScaleMs: num(values, 'timecode-scale'),
    keyFrameFragmentation: bool(values, 'key-frame-fragmentation'),
    frameTimecodes: bool(values, 'frame-timecodes'),
    absoluteFragmentTimes: bool(values, 'absolute-fragment-times'),
    fragmentAcks: bool(values, 'fragment-acks'),
    restartOnError: bool(values, 'restart-on-error'),
    recalculateMetrics: bool(values, 'recalculate-metrics'),
    framerate: num(values, 'framerate'),
    avgBandwidthBps: num(values, 'avg-bandwidth-bps'),
    bufferDurationMs: num(values, 'buffer-duration') * 1000,
    replayDurationMs: replayDurationS * 1000,
    connectionStalenessMs: num(values, 'connection-staleness') * 1000,
    codecId: str(values, 'codec-id') ?? 'V_MPEG4/ISO/AVC',
    trackName: str(values, 'track-name') ?? 'kinesis_video',
    accessKey,
    secretKey,
    sessionToken: str(values, 'session-token'),
    awsRegion: str(values, 'aws-region') ?? 'us-west-2',
    rotationPeriodS: num(values, 'rotation-period'),
    storageSizeBytes: num(values, 'storage-size') * 1024 * 1024,
    stopStreamTimeoutMs: num(values, 'stop-stream-timeout') * 1000,
    connectionTimeoutMs: (connectionTimeoutS || 5) * 1000,
    completionTimeoutMs: (completionTimeoutS || 10) * 1000,
    credentialPath: str(values, 'credential-path') ?? '.kvs/credential',
    iotCertificate: str(values, 'iot-certificate'),
    streamTags: str(values, 'stream-tags'),
    fileStartTimeS: values['file-start-time'] as bigint,
    disableBufferClipping: bool(values, 'disable-buffer-clipping'),
    useOriginalPts: bool(values, 'use-original-pts'),
    getKvsMetrics: bool(values, 'get-kvs-metrics'),
    allowCreateStream: bool(values, 'allow-create-stream'),
  };
}
