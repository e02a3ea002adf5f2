/**
 * The one property schema of kvssink. Every property's name, type, default, range, unit,
 * mutability and blurb is written here and nowhere else: the C element's property table
 * (native/gst/gstkvssinkprops.h) and the README's parameter table are generated from it
 * (src/config/codegen.ts), and the worker validates the config record against it.
 *
 * Defaults follow the KVS Developer Guide's "GStreamer Element Parameter Reference"
 * (kvs-developer-guide.txt ~L4891); where the guide gives none, the official element's.
 */

export type PropertyType = 'string' | 'uint' | 'uint64' | 'boolean' | 'enum' | 'structure';

/** G_MAXUINT: the official element's upper bound for every unsigned property. */
export const MAX_UINT = 4294967295;
/** G_MAXUINT64 as a decimal string (JSON numbers can't hold it exactly). */
export const MAX_UINT64 = 18446744073709551615n;

export interface EnumValue {
  value: number;
  nick: string;
  name: string;
}

interface PropertyBase {
  name: string;
  nick: string;
  blurb: string;
  /** Shown in the README; the blurb repeats it because gst-inspect shows only the blurb. */
  unit?: string;
  /** Where the default comes from when it is not the guide's table. */
  source: 'guide' | 'official';
  /** Holds a secret: never logged, never echoed in errors. */
  secret?: boolean;
}

export type PropertySpec =
  | (PropertyBase & { type: 'string'; default: string | null })
  | (PropertyBase & { type: 'uint'; default: number; min: number; max: number })
  | (PropertyBase & { type: 'uint64'; default: bigint; min: bigint; max: bigint })
  | (PropertyBase & { type: 'boolean'; default: boolean })
  | (PropertyBase & { type: 'enum'; enumType: string; default: number; values: EnumValue[] })
  | (PropertyBase & { type: 'structure'; default: null });

export const STREAMING_TYPE_VALUES: EnumValue[] = [
  { value: 0, nick: 'realtime', name: 'streaming type realtime' },
  { value: 1, nick: 'near-realtime', name: 'streaming type near realtime' },
  { value: 2, nick: 'offline', name: 'streaming type offline' },
];

/**
 * The official element treats these literal values as "not set" (they are its ParamSpec
 * defaults), so a drop-in must too.
 */
export const UNSET_SENTINELS: Readonly<Record<string, string>> = {
  'access-key': 'access_key',
  'secret-key': 'secret_key',
  'session-token': 'session_token',
};

export const PROPERTIES: readonly PropertySpec[] = [
  { name: 'stream-name', nick: 'Stream Name', type: 'string', default: 'DEFAULT_STREAM', source: 'official',
    blurb: 'Name of the destination stream' },
  { name: 'user-agent', nick: 'User Agent', type: 'string', default: 'AWS-SDK-KVS-CPP-CLIENT', source: 'official',
    blurb: 'Name of the user agent; kvssink appends its own product token' },
  { name: 'retention-period', nick: 'Retention Period', type: 'uint', default: 2, min: 0, max: 87600, unit: 'hours',
    source: 'guide', blurb: 'Length of time stream is preserved, in hours (used when the stream is created)' },
  { name: 'streaming-type', nick: 'Streaming Type', type: 'enum', enumType: 'GstKvsSinkStreamingType', default: 0,
    values: STREAMING_TYPE_VALUES, source: 'guide',
    blurb: 'Streaming type: realtime drops frames when the buffer is full, offline blocks the pipeline instead' },
  { name: 'content-type', nick: 'Content Type', type: 'string', default: 'video/h264', source: 'guide',
    blurb: 'Content type of the stream; derived from the pad caps when left at the default' },
  { name: 'max-latency', nick: 'Max Latency', type: 'uint', default: 60, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide', blurb: 'Maximum latency for the stream, in seconds' },
  { name: 'fragment-duration', nick: 'Fragment Duration', type: 'uint', default: 2000, min: 1, max: MAX_UINT,
    unit: 'ms', source: 'guide',
    blurb: 'Fragment duration, in ms (used when key-frame-fragmentation is false)' },
  { name: 'timecode-scale', nick: 'Timecode Scale', type: 'uint', default: 1, min: 1, max: 1000, unit: 'ms',
    source: 'guide', blurb: 'MKV timecode scale, in ms' },
  { name: 'key-frame-fragmentation', nick: 'Do key frame fragmentation', type: 'boolean', default: true,
    source: 'guide',
    blurb: 'If true, generate new fragment on each keyframe, otherwise generate new fragment on first keyframe after fragment-duration has passed' },
  { name: 'frame-timecodes', nick: 'Do frame timecodes', type: 'boolean', default: true, source: 'guide',
    blurb: 'Use the buffer timestamps (true) or stamp frames with the current time (false)' },
  { name: 'absolute-fragment-times', nick: 'Use absolute fragment time', type: 'boolean', default: true,
    source: 'guide', blurb: 'Whether to use absolute fragment times' },
  { name: 'fragment-acks', nick: 'Do fragment acks', type: 'boolean', default: true, source: 'guide',
    blurb: 'Whether to request and use fragment ACKs' },
  { name: 'restart-on-error', nick: 'Do restart on error', type: 'boolean', default: true, source: 'guide',
    blurb: 'Whether to restart the upload when a retriable error occurs' },
  { name: 'recalculate-metrics', nick: 'Do recalculate metrics', type: 'boolean', default: true, source: 'guide',
    blurb: 'Whether to recalculate the metrics' },
  { name: 'framerate', nick: 'Framerate', type: 'uint', default: 25, min: 1, max: MAX_UINT, unit: 'fps',
    source: 'guide', blurb: 'Expected frame rate, in frames per second' },
  { name: 'avg-bandwidth-bps', nick: 'Average bandwidth bps', type: 'uint', default: 4194304, min: 0, max: MAX_UINT,
    unit: 'bytes/s', source: 'guide', blurb: 'Expected average bandwidth for the stream, in bytes per second' },
  { name: 'buffer-duration', nick: 'Buffer duration', type: 'uint', default: 180, min: 1, max: MAX_UINT, unit: 's',
    source: 'guide', blurb: 'Stream buffer duration, in seconds' },
  { name: 'replay-duration', nick: 'Replay duration', type: 'uint', default: 40, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide',
    blurb: 'Duration to roll the reader back and replay on an error when restarting, in seconds' },
  { name: 'connection-staleness', nick: 'Connection staleness', type: 'uint', default: 60, min: 0, max: MAX_UINT,
    unit: 's', source: 'guide',
    blurb: 'Time without a buffering ACK after which the connection is considered stale, in seconds' },
  { name: 'codec-id', nick: 'Codec ID', type: 'string', default: 'V_MPEG4/ISO/AVC', source: 'guide',
    blurb: 'MKV codec ID of the video track; derived from the pad caps when left at the default' },
  { name: 'track-name', nick: 'Track name', type: 'string', default: 'kinesis_video', source: 'guide',
    blurb: 'MKV track name' },
  { name: 'access-key', nick: 'Access Key', type: 'string', default: 'access_key', source: 'official', secret: true,
    blurb: 'AWS Access Key' },
  { name: 'secret-key', nick: 'Secret Key', type: 'string', default: 'secret_key', source: 'official', secret: true,
    blurb: 'AWS Secret Key' },
  { name: 'session-token', nick: 'Session token', type: 'string', default: 'session_token', source: 'official',
    secret: true, blurb: 'AWS Session token' },
  { name: 'aws-region', nick: 'AWS Region', type: 'string', default: 'us-west-2', source: 'guide',
    blurb: 'AWS Region' },
  { name: 'rotation-period', nick: 'Rotation Period', type: 'uint', default: 2400, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide', blurb: 'Credential rotation period, in seconds' },
  { name: 'log-config', nick: 'Log Configuration', type: 'string', default: '/kvs_log_configuration',
    source: 'guide',
    blurb: 'Log configuration path (accepted for compatibility; kvssink logs through GST_DEBUG)' },
  { name: 'storage-size', nick: 'Storage Size', type: 'uint', default: 128, min: 1, max: 10240, unit: 'MB',
    source: 'official', blurb: 'Storage size of the in-memory content store, in megabytes (MiB)' },
  { name: 'stop-stream-timeout', nick: 'Stop stream timeout', type: 'uint', default: 120, min: 0, max: MAX_UINT,
    unit: 's', source: 'official',
    blurb: 'Time to wait for the last fragment to be acknowledged at EOS or shutdown, in seconds' },
  { name: 'connection-timeout', nick: 'Service call connection timeout', type: 'uint', default: 5, min: 0,
    max: MAX_UINT, unit: 's', source: 'official',
    blurb: 'Service call connection timeout, in seconds (0: the default)' },
  { name: 'completion-timeout', nick: 'Service call completion timeout', type: 'uint', default: 10, min: 0,
    max: MAX_UINT, unit: 's', source: 'official',
    blurb: 'Service call completion timeout, in seconds; should be more than connection-timeout (0: the default)' },
  { name: 'credential-path', nick: 'Credential File Path', type: 'string', default: '.kvs/credential',
    source: 'official', blurb: 'Credential file path' },
  { name: 'iot-certificate', nick: 'Iot Certificate', type: 'structure', default: null, source: 'guide',
    blurb: 'Use aws iot certificate to obtain credentials: "iot-certificate,endpoint=<credentials endpoint>,cert-path=<file>,key-path=<file>,ca-path=<file>,role-aliases=<alias>", optionally iot-thing-name (default: stream-name), connection-timeout and completion-timeout (s, default 3 and 5)' },
  { name: 'stream-tags', nick: 'Stream Tags', type: 'structure', default: null, source: 'official',
    blurb: 'Key-value pairs that you can define and assign to each stream' },
  { name: 'file-start-time', nick: 'File Start Time', type: 'uint64', default: 0n, min: 0n, max: MAX_UINT64,
    unit: 's', source: 'official',
    blurb: 'Epoch time that the file starts in kinesis video stream, in seconds. By default (0), current time is used. Only used in offline mode' },
  { name: 'disable-buffer-clipping', nick: 'Disable Buffer Clipping', type: 'boolean', default: false,
    source: 'official',
    blurb: 'Set to true only if your src/mux elements produce GST_CLOCK_TIME_NONE for segment start times' },
  { name: 'use-original-pts', nick: 'Use Original PTS', type: 'boolean', default: false, source: 'official',
    blurb: 'Use the original presentation timestamps of the buffers, expected to be epoch times in nanoseconds' },
  { name: 'get-kvs-metrics', nick: 'Get client and stream level metrics on every key frame', type: 'boolean',
    default: false, source: 'official',
    blurb: 'Set to true if you want to read the stream and client metrics on every key frame' },
  { name: 'allow-create-stream', nick: 'Allow creating stream if stream does not exist', type: 'boolean',
    default: true, source: 'official', blurb: 'Set to true if allowing create stream call, false otherwise' },
];

export function findProperty(name: string): PropertySpec | undefined {
  return PROPERTIES.find((p) => p.name === name);
}
