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
/** 9999-12-31T23:59:59Z in epoch seconds: a larger file-start-time is milliseconds given by mistake. */
export const MAX_FILE_START_TIME_S = 253402300799n;

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
  /**
   * 'playing': may change while the stream runs (GST_PARAM_MUTABLE_PLAYING), because the element
   * reads it for every buffer. Every other property is read at start (GST_PARAM_MUTABLE_READY):
   * a change after READY is refused with a warning.
   */
  mutable?: 'playing';
  /** Why the allowed values are what they are (the guide's limit), for the error a bad value gets. */
  limit?: string;
}

/** Limits of a string property; a value outside them fails the state change. */
export interface StringLimits {
  /** Unset (or empty) fails the state change, with `howToSet` in the error. */
  required?: { howToSet: string };
  minLength?: number;
  maxLength?: number;
  /** The characters allowed, as a regex character class body (`a-zA-Z0-9_.-`). */
  charset?: string;
}

/** Limits of a GstStructure property (its fields are string key/value pairs). */
export interface StructureLimits {
  maxFields?: number;
  maxKeyLength?: number;
  maxValueLength?: number;
  /** Fields that must be present, and (when given) the only ones allowed. */
  requiredKeys?: readonly string[];
  allowedKeys?: readonly string[];
}

export type PropertySpec =
  | (PropertyBase & { type: 'string'; default: string | null } & StringLimits)
  | (PropertyBase & { type: 'uint'; default: number; min: number; max: number;
    /** The guide gives 0 the meaning "the default": it is replaced by `default`, with a warning. */
    zeroMeansDefault?: boolean })
  | (PropertyBase & { type: 'uint64'; default: bigint; min: bigint; max: bigint })
  | (PropertyBase & { type: 'boolean'; default: boolean })
  | (PropertyBase & { type: 'enum'; enumType: string; default: number; values: EnumValue[] })
  | (PropertyBase & { type: 'structure'; default: null } & StructureLimits);

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
  { name: 'stream-name', nick: 'Stream Name', type: 'string', default: null, source: 'guide',
    required: { howToSet: 'set "stream-name" to the name of the Kinesis video stream (kvssink stream-name=my-stream)' },
    minLength: 1, maxLength: 256, charset: 'a-zA-Z0-9_.-',
    limit: 'KVS stream names are 1 to 256 characters of a-z, A-Z, 0-9, "_", "." and "-" (guide: StreamName, Producer SDK Limits)',
    blurb: 'Name of the destination stream (required; 1 to 256 characters of a-z, A-Z, 0-9, "_", "." and "-")' },
  { name: 'user-agent', nick: 'User Agent', type: 'string', default: 'AWS-SDK-KVS-CPP-CLIENT', source: 'official',
    minLength: 1, maxLength: 256, charset: ' -~',
    limit: 'it is sent as an HTTP header: printable ASCII, and the producer SDK caps it at 256 characters',
    blurb: 'Name of the user agent; kvssink appends its own product token' },
  { name: 'retention-period', nick: 'Retention Period', type: 'uint', default: 2, min: 0, max: 87600, unit: 'hours',
    source: 'guide', limit: 'retention is 0 (none) or 1 hour to 10 years (guide: Producer SDK Limits)',
    blurb: 'Length of time stream is preserved, in hours (used when the stream is created)' },
  { name: 'streaming-type', nick: 'Streaming Type', type: 'enum', enumType: 'GstKvsSinkStreamingType', default: 0,
    values: STREAMING_TYPE_VALUES, source: 'guide',
    blurb: 'Streaming type: realtime drops frames when the buffer is full, offline blocks the pipeline instead' },
  { name: 'content-type', nick: 'Content Type', type: 'string', default: 'video/h264', source: 'guide',
    minLength: 1, maxLength: 128, limit: 'content types are at most 128 characters (guide: Producer SDK Limits)',
    blurb: 'Content type of the stream; derived from the pad caps when left at the default' },
  { name: 'max-latency', nick: 'Max Latency', type: 'uint', default: 60, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide', blurb: 'Maximum latency for the stream, in seconds' },
  { name: 'fragment-duration', nick: 'Fragment Duration', type: 'uint', default: 2000, min: 1000, max: 10000,
    unit: 'ms', source: 'guide',
    limit: 'PutMedia fragments last 1 s to 10 s (guide: service limits, and Producer SDK Limits: max fragment duration)',
    blurb: 'Fragment duration, in ms (used when key-frame-fragmentation is false)' },
  { name: 'timecode-scale', nick: 'Timecode Scale', type: 'uint', default: 1, min: 0, max: 1000, unit: 'ms',
    zeroMeansDefault: true, source: 'guide',
    limit: 'the timecode scale is 100 ns to 1 s, and 0 assigns the default of 1 ms (guide: Producer SDK Limits, stream header elements)',
    blurb: 'MKV timecode scale, in ms (0: the default, 1 ms)' },
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
    blurb: 'Whether to recalculate the metrics for every report; false recalculates them at most once per second' },
  { name: 'framerate', nick: 'Framerate', type: 'uint', default: 25, min: 0, max: MAX_UINT, unit: 'fps',
    zeroMeansDefault: true, source: 'guide', limit: 'specifying 0 assigns the default (guide: stream header elements, frame_rate)',
    blurb: 'Expected frame rate, in frames per second; with buffer-duration it sizes the frame index (0: the default)' },
  { name: 'avg-bandwidth-bps', nick: 'Average bandwidth bps', type: 'uint', default: 4194304, min: 0, max: MAX_UINT,
    unit: 'bytes/s', source: 'guide',
    blurb: 'Expected average bandwidth for the stream, in bytes per second; checked against storage-size and buffer-duration' },
  { name: 'buffer-duration', nick: 'Buffer duration', type: 'uint', default: 180, min: 20, max: MAX_UINT, unit: 's',
    source: 'guide', limit: 'the minimum buffer duration is 20 s (guide: Producer SDK Limits)',
    blurb: 'Stream buffer duration, in seconds' },
  { name: 'replay-duration', nick: 'Replay duration', type: 'uint', default: 40, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide',
    blurb: 'Duration to roll the reader back and replay on an error when restarting, in seconds (at most buffer-duration)' },
  { name: 'connection-staleness', nick: 'Connection staleness', type: 'uint', default: 60, min: 0, max: MAX_UINT,
    unit: 's', source: 'guide',
    blurb: 'Time without a buffering ACK after which the connection is considered stale, in seconds' },
  { name: 'codec-id', nick: 'Codec ID', type: 'string', default: 'V_MPEG4/ISO/AVC', source: 'guide',
    minLength: 1, maxLength: 32, limit: 'MKV codec ids are at most 32 characters (guide: Producer SDK Limits)',
    blurb: 'MKV codec ID of the video track; derived from the pad caps when left at the default' },
  { name: 'track-name', nick: 'Track name', type: 'string', default: 'kinesis_video', source: 'guide',
    maxLength: 32, limit: 'MKV track names are at most 32 characters (guide: Producer SDK Limits)',
    blurb: 'MKV track name' },
  { name: 'access-key', nick: 'Access Key', type: 'string', default: 'access_key', source: 'official', secret: true,
    maxLength: 128, charset: 'a-zA-Z0-9_',
    limit: 'AWS access key ids are at most 128 word characters (IAM AccessKeyId)',
    blurb: 'AWS Access Key' },
  { name: 'secret-key', nick: 'Secret Key', type: 'string', default: 'secret_key', source: 'official', secret: true,
    maxLength: 10000, limit: 'auth info is at most 10,000 bytes (guide: Producer SDK Limits)',
    blurb: 'AWS Secret Key' },
  { name: 'session-token', nick: 'Session token', type: 'string', default: 'session_token', source: 'official',
    secret: true, maxLength: 10000, limit: 'auth info is at most 10,000 bytes (guide: Producer SDK Limits)', blurb: 'AWS Session token' },
  { name: 'aws-region', nick: 'AWS Region', type: 'string', default: 'us-west-2', source: 'guide',
    minLength: 1, maxLength: 64, charset: 'a-z0-9-', limit: 'region names such as us-west-2 are lower-case letters, digits and "-"',
    blurb: 'AWS Region' },
  { name: 'rotation-period', nick: 'Rotation Period', type: 'uint', default: 2400, min: 0, max: MAX_UINT, unit: 's',
    source: 'guide', blurb: 'Credential rotation period, in seconds' },
  { name: 'log-config', nick: 'Log Configuration', type: 'string', default: '/kvs_log_configuration',
    source: 'guide', maxLength: 4096, limit: 'paths are at most 4,096 characters (guide: Producer SDK Limits)',
    blurb: 'Log configuration path (accepted for compatibility; kvssink logs through GST_DEBUG)' },
  { name: 'storage-size', nick: 'Storage Size', type: 'uint', default: 128, min: 10, max: 10240, unit: 'MB',
    source: 'official', limit: 'the content store takes 10 MiB to 10 GiB (guide: Producer SDK Limits, StorageInfo)', blurb: 'Storage size of the in-memory content store, in megabytes (MiB)' },
  { name: 'stop-stream-timeout', nick: 'Stop stream timeout', type: 'uint', default: 120, min: 0, max: MAX_UINT,
    unit: 's', source: 'official',
    blurb: 'Time to wait for the last fragment to be acknowledged at EOS or shutdown, in seconds' },
  { name: 'connection-timeout', nick: 'Service call connection timeout', type: 'uint', default: 5, min: 0,
    max: MAX_UINT, unit: 's', source: 'official',
    blurb: 'Service call connection timeout, in seconds (0: the default)' },
  { name: 'completion-timeout', nick: 'Service call completion timeout', type: 'uint', default: 10, min: 0,
    max: MAX_UINT, unit: 's', source: 'official',
    blurb: 'Service call completion timeout, in seconds; should be more than connection-timeout, else both defaults are used (0: the default)' },
  { name: 'credential-path', nick: 'Credential File Path', type: 'string', default: '.kvs/credential',
    source: 'official', maxLength: 4096, limit: 'paths are at most 4,096 characters (guide: Producer SDK Limits)',
    blurb: 'Credential file path' },
  { name: 'iot-certificate', nick: 'Iot Certificate', type: 'structure', default: null, source: 'guide',
    requiredKeys: ['endpoint', 'cert-path', 'key-path', 'ca-path', 'role-aliases'],
    allowedKeys: ['endpoint', 'cert-path', 'key-path', 'ca-path', 'role-aliases', 'iot-thing-name',
      'connection-timeout', 'completion-timeout'],
    limit: 'the IoT credential provider needs endpoint, cert-path, key-path, ca-path and role-aliases, as strings (guide: parameter reference)',
    blurb: 'Use aws iot certificate to obtain credentials: "iot-certificate,endpoint=<credentials endpoint>,cert-path=<file>,key-path=<file>,ca-path=<file>,role-aliases=<alias>", optionally iot-thing-name (default: stream-name), connection-timeout and completion-timeout (s, default 3 and 5)' },
  { name: 'stream-tags', nick: 'Stream Tags', type: 'structure', default: null, source: 'official',
    maxFields: 50, maxKeyLength: 128, maxValueLength: 1024,
    limit: 'a stream has at most 50 tags, names of at most 128 and values of at most 1,024 characters, as strings (guide: Producer SDK Limits)',
    blurb: 'Key-value pairs that you can define and assign to each stream' },
  { name: 'file-start-time', nick: 'File Start Time', type: 'uint64', default: 0n, min: 0n, max: MAX_FILE_START_TIME_S,
    unit: 's', source: 'official',
    limit: 'it is an epoch time in seconds, and later than 9999-12-31 is a time in milliseconds by mistake (guide: parameter reference)',
    blurb: 'Epoch time that the file starts in kinesis video stream, in seconds. By default (0), current time is used. Only used in offline mode' },
  { name: 'disable-buffer-clipping', nick: 'Disable Buffer Clipping', type: 'boolean', default: false,
    source: 'official', mutable: 'playing',
    blurb: 'Set to true only if your src/mux elements produce GST_CLOCK_TIME_NONE for segment start times' },
  { name: 'use-original-pts', nick: 'Use Original PTS', type: 'boolean', default: false, source: 'official',
    blurb: 'Use the original presentation timestamps of the buffers, expected to be epoch times in nanoseconds' },
  { name: 'get-kvs-metrics', nick: 'Get client and stream level metrics on every key frame', type: 'boolean',
    default: false, source: 'official', mutable: 'playing',
    blurb: 'Set to true if you want to read the stream and client metrics on every key frame (signal stream-client-metric)' },
  { name: 'allow-create-stream', nick: 'Allow creating stream if stream does not exist', type: 'boolean',
    default: true, source: 'official', blurb: 'Set to true if allowing create stream call, false otherwise' },
];

export function findProperty(name: string): PropertySpec | undefined {
  return PROPERTIES.find((p) => p.name === name);
}
