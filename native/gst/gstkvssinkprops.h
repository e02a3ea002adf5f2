/* Generated from src/config/schema.ts by src/config/codegen.ts: do not edit. */

#ifndef GST_KVS_SINK_PROPS_H
#define GST_KVS_SINK_PROPS_H

#include <glib.h>

typedef enum
{
  KVS_PROP_STRING,
  KVS_PROP_UINT,
  KVS_PROP_UINT64,
  KVS_PROP_BOOLEAN,
  KVS_PROP_ENUM,
  KVS_PROP_STRUCTURE
} KvsPropType;

enum
{
  PROP_0,
  PROP_STREAM_NAME,
  PROP_USER_AGENT,
  PROP_RETENTION_PERIOD,
  PROP_STREAMING_TYPE,
  PROP_CONTENT_TYPE,
  PROP_MAX_LATENCY,
  PROP_FRAGMENT_DURATION,
  PROP_TIMECODE_SCALE,
  PROP_KEY_FRAME_FRAGMENTATION,
  PROP_FRAME_TIMECODES,
  PROP_ABSOLUTE_FRAGMENT_TIMES,
  PROP_FRAGMENT_ACKS,
  PROP_RESTART_ON_ERROR,
  PROP_RECALCULATE_METRICS,
  PROP_FRAMERATE,
  PROP_AVG_BANDWIDTH_BPS,
  PROP_BUFFER_DURATION,
  PROP_REPLAY_DURATION,
  PROP_CONNECTION_STALENESS,
  PROP_CODEC_ID,
  PROP_TRACK_NAME,
  PROP_ACCESS_KEY,
  PROP_SECRET_KEY,
  PROP_SESSION_TOKEN,
  PROP_AWS_REGION,
  PROP_ROTATION_PERIOD,
  PROP_LOG_CONFIG,
  PROP_STORAGE_SIZE,
  PROP_STOP_STREAM_TIMEOUT,
  PROP_CONNECTION_TIMEOUT,
  PROP_COMPLETION_TIMEOUT,
  PROP_CREDENTIAL_PATH,
  PROP_IOT_CERTIFICATE,
  PROP_STREAM_TAGS,
  PROP_FILE_START_TIME,
  PROP_DISABLE_BUFFER_CLIPPING,
  PROP_USE_ORIGINAL_PTS,
  PROP_GET_KVS_METRICS,
  PROP_ALLOW_CREATE_STREAM,
  N_PROPS
};

#define DEFAULT_STREAM_NAME NULL
#define DEFAULT_USER_AGENT "AWS-SDK-KVS-CPP-CLIENT"
#define DEFAULT_RETENTION_PERIOD 2u
#define DEFAULT_STREAMING_TYPE 0
#define DEFAULT_CONTENT_TYPE "video/h264"
#define DEFAULT_MAX_LATENCY 60u
#define DEFAULT_FRAGMENT_DURATION 2000u
#define DEFAULT_TIMECODE_SCALE 1u
#define DEFAULT_KEY_FRAME_FRAGMENTATION TRUE
#define DEFAULT_FRAME_TIMECODES TRUE
#define DEFAULT_ABSOLUTE_FRAGMENT_TIMES TRUE
#define DEFAULT_FRAGMENT_ACKS TRUE
#define DEFAULT_RESTART_ON_ERROR TRUE
#define DEFAULT_RECALCULATE_METRICS TRUE
#define DEFAULT_FRAMERATE 25u
#define DEFAULT_AVG_BANDWIDTH_BPS 4194304u
#define DEFAULT_BUFFER_DURATION 180u
#define DEFAULT_REPLAY_DURATION 40u
#define DEFAULT_CONNECTION_STALENESS 60u
#define DEFAULT_CODEC_ID "V_MPEG4/ISO/AVC"
#define DEFAULT_TRACK_NAME "kinesis_video"
#define DEFAULT_ACCESS_KEY "access_key"
#define DEFAULT_SECRET_KEY "secret_key"
#define DEFAULT_SESSION_TOKEN "session_token"
#define DEFAULT_AWS_REGION "us-west-2"
#define DEFAULT_ROTATION_PERIOD 2400u
#define DEFAULT_LOG_CONFIG "/kvs_log_configuration"
#define DEFAULT_STORAGE_SIZE 128u
#define DEFAULT_STOP_STREAM_TIMEOUT 120u
#define DEFAULT_CONNECTION_TIMEOUT 5u
#define DEFAULT_COMPLETION_TIMEOUT 10u
#define DEFAULT_CREDENTIAL_PATH ".kvs/credential"
#define DEFAULT_IOT_CERTIFICATE NULL
#define DEFAULT_STREAM_TAGS NULL
#define DEFAULT_FILE_START_TIME G_GUINT64_CONSTANT (0)
#define DEFAULT_DISABLE_BUFFER_CLIPPING FALSE
#define DEFAULT_USE_ORIGINAL_PTS FALSE
#define DEFAULT_GET_KVS_METRICS FALSE
#define DEFAULT_ALLOW_CREATE_STREAM TRUE

typedef struct
{
  guint id;
  const gchar *name;
  const gchar *nick;
  const gchar *blurb;
  KvsPropType type;
  const gchar *default_string;
  guint64 default_number;
  guint64 min;
  guint64 max;
  gboolean secret;
  gboolean mutable_playing;
  gboolean zero_means_default;
  const gchar *required;         /* how to set it, when it must be set */
  guint min_length;
  guint max_length;              /* 0: no limit */
  const gchar *charset;          /* every character allowed, or NULL */
  const gchar *charset_text;
  guint max_fields;
  guint max_key_length;
  guint max_value_length;
  const gchar *required_keys;    /* comma-separated */
  const gchar *allowed_keys;     /* comma-separated, or NULL: any */
  const gchar *limit;            /* why: the guide's limit */
} KvsPropRow;

static const KvsPropRow kvs_prop_rows[] = {
  {PROP_STREAM_NAME, "stream-name", "Stream Name",
      "Name of the destination stream (required; 1 to 256 characters of a-z, A-Z, 0-9, \"_\", \".\" and \"-\")",
      KVS_PROP_STRING, DEFAULT_STREAM_NAME, 0, 0, 0, FALSE,
      FALSE, FALSE, "set \"stream-name\" to the name of the Kinesis video stream (kvssink stream-name=my-stream)", 1, 256,
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", "a-zA-Z0-9_.-",
      0, 0, 0, NULL, NULL,
      "KVS stream names are 1 to 256 characters of a-z, A-Z, 0-9, \"_\", \".\" and \"-\" (guide: StreamName, Producer SDK Limits)"},
  {PROP_USER_AGENT, "user-agent", "User Agent",
      "Name of the user agent; kvssink appends its own product token",
      KVS_PROP_STRING, DEFAULT_USER_AGENT, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 1, 256,
      " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", " -~",
      0, 0, 0, NULL, NULL,
      "it is sent as an HTTP header: printable ASCII, and the producer SDK caps it at 256 characters"},
  {PROP_RETENTION_PERIOD, "retention-period", "Retention Period",
      "Length of time stream is preserved, in hours (used when the stream is created)",
      KVS_PROP_UINT, NULL, DEFAULT_RETENTION_PERIOD, 0u, 87600u, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "retention is 0 (none) or 1 hour to 10 years (guide: Producer SDK Limits)"},
  {PROP_STREAMING_TYPE, "streaming-type", "Streaming Type",
      "Streaming type: realtime drops frames when the buffer is full, offline blocks the pipeline instead",
      KVS_PROP_ENUM, NULL, DEFAULT_STREAMING_TYPE, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_CONTENT_TYPE, "content-type", "Content Type",
      "Content type of the stream; derived from the pad caps when left at the default",
      KVS_PROP_STRING, DEFAULT_CONTENT_TYPE, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 1, 128,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "content types are at most 128 characters (guide: Producer SDK Limits)"},
  {PROP_MAX_LATENCY, "max-latency", "Max Latency",
      "Maximum latency for the stream, in seconds",
      KVS_PROP_UINT, NULL, DEFAULT_MAX_LATENCY, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_FRAGMENT_DURATION, "fragment-duration", "Fragment Duration",
      "Fragment duration, in ms (used when key-frame-fragmentation is false)",
      KVS_PROP_UINT, NULL, DEFAULT_FRAGMENT_DURATION, 1000u, 10000u, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "PutMedia fragments last 1 s to 10 s (guide: service limits, and Producer SDK Limits: max fragment duration)"},
  {PROP_TIMECODE_SCALE, "timecode-scale", "Timecode Scale",
      "MKV timecode scale, in ms (0: the default, 1 ms)",
      KVS_PROP_UINT, NULL, DEFAULT_TIMECODE_SCALE, 0u, 1000u, FALSE,
      FALSE, TRUE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "the timecode scale is 100 ns to 1 s, and 0 assigns the default of 1 ms (guide: Producer SDK Limits, stream header elements)"},
  {PROP_KEY_FRAME_FRAGMENTATION, "key-frame-fragmentation", "Do key frame fragmentation",
      "If true, generate new fragment on each keyframe, otherwise generate new fragment on first keyframe after fragment-duration has passed",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_KEY_FRAME_FRAGMENTATION, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_FRAME_TIMECODES, "frame-timecodes", "Do frame timecodes",
      "Use the buffer timestamps (true) or stamp frames with the current time (false)",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_FRAME_TIMECODES, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_ABSOLUTE_FRAGMENT_TIMES, "absolute-fragment-times", "Use absolute fragment time",
      "Whether to use absolute fragment times",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_ABSOLUTE_FRAGMENT_TIMES, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_FRAGMENT_ACKS, "fragment-acks", "Do fragment acks",
      "Whether to request and use fragment ACKs",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_FRAGMENT_ACKS, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_RESTART_ON_ERROR, "restart-on-error", "Do restart on error",
      "Whether to restart the upload when a retriable error occurs",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_RESTART_ON_ERROR, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_RECALCULATE_METRICS, "recalculate-metrics", "Do recalculate metrics",
      "Whether to recalculate the metrics for every report; false recalculates them at most once per second",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_RECALCULATE_METRICS, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_FRAMERATE, "framerate", "Framerate",
      "Expected frame rate, in frames per second; with buffer-duration it sizes the frame index (0: the default)",
      KVS_PROP_UINT, NULL, DEFAULT_FRAMERATE, 0u, G_MAXUINT, FALSE,
      FALSE, TRUE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "specifying 0 assigns the default (guide: stream header elements, frame_rate)"},
  {PROP_AVG_BANDWIDTH_BPS, "avg-bandwidth-bps", "Average bandwidth bps",
      "Expected average bandwidth for the stream, in bytes per second; checked against storage-size and buffer-duration",
      KVS_PROP_UINT, NULL, DEFAULT_AVG_BANDWIDTH_BPS, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_BUFFER_DURATION, "buffer-duration", "Buffer duration",
      "Stream buffer duration, in seconds",
      KVS_PROP_UINT, NULL, DEFAULT_BUFFER_DURATION, 20u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "the minimum buffer duration is 20 s (guide: Producer SDK Limits)"},
  {PROP_REPLAY_DURATION, "replay-duration", "Replay duration",
      "Duration to roll the reader back and replay on an error when restarting, in seconds (at most buffer-duration)",
      KVS_PROP_UINT, NULL, DEFAULT_REPLAY_DURATION, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_CONNECTION_STALENESS, "connection-staleness", "Connection staleness",
      "Time without a buffering ACK after which the connection is considered stale, in seconds",
      KVS_PROP_UINT, NULL, DEFAULT_CONNECTION_STALENESS, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_CODEC_ID, "codec-id", "Codec ID",
      "MKV codec ID of the video track; derived from the pad caps when left at the default",
      KVS_PROP_STRING, DEFAULT_CODEC_ID, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 1, 32,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "MKV codec ids are at most 32 characters (guide: Producer SDK Limits)"},
  {PROP_TRACK_NAME, "track-name", "Track name",
      "MKV track name",
      KVS_PROP_STRING, DEFAULT_TRACK_NAME, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 32,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "MKV track names are at most 32 characters (guide: Producer SDK Limits)"},
  {PROP_ACCESS_KEY, "access-key", "Access Key",
      "AWS Access Key",
      KVS_PROP_STRING, DEFAULT_ACCESS_KEY, 0, 0, 0, TRUE,
      FALSE, FALSE, NULL, 0, 128,
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", "a-zA-Z0-9_",
      0, 0, 0, NULL, NULL,
      "AWS access key ids are at most 128 word characters (IAM AccessKeyId)"},
  {PROP_SECRET_KEY, "secret-key", "Secret Key",
      "AWS Secret Key",
      KVS_PROP_STRING, DEFAULT_SECRET_KEY, 0, 0, 0, TRUE,
      FALSE, FALSE, NULL, 0, 10000,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "auth info is at most 10,000 bytes (guide: Producer SDK Limits)"},
  {PROP_SESSION_TOKEN, "session-token", "Session token",
      "AWS Session token",
      KVS_PROP_STRING, DEFAULT_SESSION_TOKEN, 0, 0, 0, TRUE,
      FALSE, FALSE, NULL, 0, 10000,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "auth info is at most 10,000 bytes (guide: Producer SDK Limits)"},
  {PROP_AWS_REGION, "aws-region", "AWS Region",
      "AWS Region",
      KVS_PROP_STRING, DEFAULT_AWS_REGION, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 1, 64,
      "abcdefghijklmnopqrstuvwxyz0123456789-", "a-z0-9-",
      0, 0, 0, NULL, NULL,
      "region names such as us-west-2 are lower-case letters, digits and \"-\""},
  {PROP_ROTATION_PERIOD, "rotation-period", "Rotation Period",
      "Credential rotation period, in seconds",
      KVS_PROP_UINT, NULL, DEFAULT_ROTATION_PERIOD, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_LOG_CONFIG, "log-config", "Log Configuration",
      "Log configuration path (accepted for compatibility; kvssink logs through GST_DEBUG)",
      KVS_PROP_STRING, DEFAULT_LOG_CONFIG, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 4096,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "paths are at most 4,096 characters (guide: Producer SDK Limits)"},
  {PROP_STORAGE_SIZE, "storage-size", "Storage Size",
      "Storage size of the in-memory content store, in megabytes (MiB)",
      KVS_PROP_UINT, NULL, DEFAULT_STORAGE_SIZE, 10u, 10240u, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "the content store takes 10 MiB to 10 GiB (guide: Producer SDK Limits, StorageInfo)"},
  {PROP_STOP_STREAM_TIMEOUT, "stop-stream-timeout", "Stop stream timeout",
      "Time to wait for the last fragment to be acknowledged at EOS or shutdown, in seconds",
      KVS_PROP_UINT, NULL, DEFAULT_STOP_STREAM_TIMEOUT, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_CONNECTION_TIMEOUT, "connection-timeout", "Service call connection timeout",
      "Service call connection timeout, in seconds (0: the default)",
      KVS_PROP_UINT, NULL, DEFAULT_CONNECTION_TIMEOUT, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_COMPLETION_TIMEOUT, "completion-timeout", "Service call completion timeout",
      "Service call completion timeout, in seconds; should be more than connection-timeout, else both defaults are used (0: the default)",
      KVS_PROP_UINT, NULL, DEFAULT_COMPLETION_TIMEOUT, 0u, G_MAXUINT, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_CREDENTIAL_PATH, "credential-path", "Credential File Path",
      "Credential file path",
      KVS_PROP_STRING, DEFAULT_CREDENTIAL_PATH, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 4096,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "paths are at most 4,096 characters (guide: Producer SDK Limits)"},
  {PROP_IOT_CERTIFICATE, "iot-certificate", "Iot Certificate",
      "Use aws iot certificate to obtain credentials: \"iot-certificate,endpoint=<credentials endpoint>,cert-path=<file>,key-path=<file>,ca-path=<file>,role-aliases=<alias>\", optionally iot-thing-name (default: stream-name), connection-timeout and completion-timeout (s, default 3 and 5)",
      KVS_PROP_STRUCTURE, NULL, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, "endpoint,cert-path,key-path,ca-path,role-aliases", "endpoint,cert-path,key-path,ca-path,role-aliases,iot-thing-name,connection-timeout,completion-timeout",
      "the IoT credential provider needs endpoint, cert-path, key-path, ca-path and role-aliases, as strings (guide: parameter reference)"},
  {PROP_STREAM_TAGS, "stream-tags", "Stream Tags",
      "Key-value pairs that you can define and assign to each stream",
      KVS_PROP_STRUCTURE, NULL, 0, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      50, 128, 1024, NULL, NULL,
      "a stream has at most 50 tags, names of at most 128 and values of at most 1,024 characters, as strings (guide: Producer SDK Limits)"},
  {PROP_FILE_START_TIME, "file-start-time", "File Start Time",
      "Epoch time that the file starts in kinesis video stream, in seconds. By default (0), current time is used. Only used in offline mode",
      KVS_PROP_UINT64, NULL, DEFAULT_FILE_START_TIME, G_GUINT64_CONSTANT (0), G_GUINT64_CONSTANT (253402300799), FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      "it is an epoch time in seconds, and later than 9999-12-31 is a time in milliseconds by mistake (guide: parameter reference)"},
  {PROP_DISABLE_BUFFER_CLIPPING, "disable-buffer-clipping", "Disable Buffer Clipping",
      "Set to true only if your src/mux elements produce GST_CLOCK_TIME_NONE for segment start times",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_DISABLE_BUFFER_CLIPPING, 0, 0, FALSE,
      TRUE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_USE_ORIGINAL_PTS, "use-original-pts", "Use Original PTS",
      "Use the original presentation timestamps of the buffers, expected to be epoch times in nanoseconds",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_USE_ORIGINAL_PTS, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_GET_KVS_METRICS, "get-kvs-metrics", "Get client and stream level metrics on every key frame",
      "Set to true if you want to read the stream and client metrics on every key frame (signal stream-client-metric)",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_GET_KVS_METRICS, 0, 0, FALSE,
      TRUE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
  {PROP_ALLOW_CREATE_STREAM, "allow-create-stream", "Allow creating stream if stream does not exist",
      "Set to true if allowing create stream call, false otherwise",
      KVS_PROP_BOOLEAN, NULL, DEFAULT_ALLOW_CREATE_STREAM, 0, 0, FALSE,
      FALSE, FALSE, NULL, 0, 0,
      NULL, NULL,
      0, 0, 0, NULL, NULL,
      NULL},
};

static const GEnumValue kvs_streaming_type_values[] = {
  {0, "streaming type realtime", "realtime"},
  {1, "streaming type near realtime", "near-realtime"},
  {2, "streaming type offline", "offline"},
  {0, NULL, NULL}
};

#endif /* GST_KVS_SINK_PROPS_H */
