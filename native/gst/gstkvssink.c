/* kvssink: GStreamer sink for Amazon Kinesis Video Streams
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * SECTION:element-kvssink
 * @title: kvssink
 *
 * Streams encoded video (H.264, H.265) and audio (AAC, G.711) into an Amazon Kinesis
 * Video Streams stream. A drop-in for the element of the same name from the official
 * producer SDK: same pads, properties and defaults.
 *
 * The element itself is thin: it hands caps, buffers and events over a shared-memory
 * ring to a Node worker process that owns the stream lifecycle, MKV generation and the
 * PutMedia upload, and it turns what the worker reports into bus messages.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=300 ! x264enc bframes=0 key-int-max=30 !
 *     video/x-h264,stream-format=avc,alignment=au,profile=baseline !
 *     kvssink stream-name=cam1 aws-region=us-west-2
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstkvssink.h"
#include "gstkvsworker.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef KVSSINK_VERSION
#define KVSSINK_VERSION "0.1.0"
#endif

GST_DEBUG_CATEGORY (gst_kvs_sink_debug);
#define GST_CAT_DEFAULT gst_kvs_sink_debug

/* Back-ring records are tiny; 1 MiB absorbs bursts of log lines and acks. */
#define BACK_RING_BYTES (1024 * 1024)
/* Node cold start on a small board can take seconds; a worker that is not up by
 * then is not going to be. */
#define WORKER_READY_TIMEOUT_S 30
/* Extra time granted to the worker beyond stop-stream-timeout to report back. */
#define STOP_GRACE_S 5
/* PLAYING to NULL without EOS: how long the worker gets to close the stream. */
#define STOP_NOW_MS 500
#define DROP_WARNING_INTERVAL_US (5 * G_USEC_PER_SEC)

typedef struct
{
  guint track;
  gboolean is_video;
  gboolean eos;
  GstSegment segment;
} GstKvsSinkPadData;

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, "
        "stream-format = (string) { avc, avc3, byte-stream }, "
        "alignment = (string) au, width = (int) [ 16, MAX ], "
        "height = (int) [ 16, MAX ]; "
        "video/x-h265, alignment = (string) au, width = (int) [ 16, MAX ], "
        "height = (int) [ 16, MAX ]"));

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) { 2, 4 }, "
        "stream-format = (string) raw, channels = (int) [ 1, MAX ], "
        "rate = (int) [ 1, MAX ]; "
        "audio/x-alaw, channels = (int) { 1, 2 }, rate = (int) [ 8000, 192000 ]; "
        "audio/x-mulaw, channels = (int) { 1, 2 }, rate = (int) [ 8000, 192000 ]"));

#define gst_kvs_sink_parent_class parent_class
G_DEFINE_TYPE (GstKvsSink, gst_kvs_sink, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (kvssink, "kvssink", GST_RANK_PRIMARY + 10,
    GST_TYPE_KVS_SINK);

static void gst_kvs_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kvs_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_kvs_sink_finalize (GObject * object);
static GstPad *gst_kvs_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_kvs_sink_release_pad (GstElement * element, GstPad * pad);
static GstStateChangeReturn gst_kvs_sink_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_kvs_sink_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_kvs_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_kvs_sink_start (GstKvsSink * self);
static void gst_kvs_sink_stop (GstKvsSink * self);

GType
gst_kvs_sink_streaming_type_get_type (void)
{
  static GType type = 0;
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKvsSinkStreamingType",
        kvs_streaming_type_values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GParamSpec *
kvs_prop_to_pspec (const KvsPropRow * row)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  switch (row->type) {
    case KVS_PROP_STRING:
      return g_param_spec_string (row->name, row->nick, row->blurb,
          row->default_string, flags);
    case KVS_PROP_UINT:
      return g_param_spec_uint (row->name, row->nick, row->blurb,
          (guint) row->min, (guint) row->max, (guint) row->default_number,
          flags);
    case KVS_PROP_UINT64:
      return g_param_spec_uint64 (row->name, row->nick, row->blurb, row->min,
          row->max, row->default_number, flags);
    case KVS_PROP_BOOLEAN:
      return g_param_spec_boolean (row->name, row->nick, row->blurb,
          row->default_number != 0, flags);
    case KVS_PROP_ENUM:
      return g_param_spec_enum (row->name, row->nick, row->blurb,
          GST_TYPE_KVS_SINK_STREAMING_TYPE, (gint) row->default_number, flags);
    case KVS_PROP_STRUCTURE:
      return g_param_spec_boxed (row->name, row->nick, row->blurb,
          GST_TYPE_STRUCTURE, flags);
  }
  g_assert_not_reached ();
  return NULL;
}

static void
gst_kvs_sink_class_init (GstKvsSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  guint i;

  gobject_class->set_property = gst_kvs_sink_set_property;
  gobject_class->get_property = gst_kvs_sink_get_property;
  gobject_class->finalize = gst_kvs_sink_finalize;

  for (i = 0; i < G_N_ELEMENTS (kvs_prop_rows); i++)
    g_object_class_install_property (gobject_class, kvs_prop_rows[i].id,
        kvs_prop_to_pspec (&kvs_prop_rows[i]));

  gst_element_class_set_static_metadata (element_class, "KVS Sink",
      "Sink/Video/Network", "GStreamer AWS KVS plugin",
      "kvssink developers");
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kvs_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_kvs_sink_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_kvs_sink_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_KVS_SINK_STREAMING_TYPE, 0);
}

static void
gst_kvs_sink_init (GstKvsSink * self)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (kvs_prop_rows); i++) {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self),
        kvs_prop_rows[i].name);
    g_value_init (&self->props[kvs_prop_rows[i].id], pspec->value_type);
    g_param_value_set_default (pspec, &self->props[kvs_prop_rows[i].id]);
  }
  g_mutex_init (&self->lock);
  g_mutex_init (&self->write_lock);
  g_cond_init (&self->cond);
  self->writer_cancel[0] = self->writer_cancel[1] = -1;
  self->reader_cancel[0] = self->reader_cancel[1] = -1;
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
gst_kvs_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKvsSink *self = GST_KVS_SINK (object);

  if (prop_id == PROP_0 || prop_id >= N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  g_value_copy (value, &self->props[prop_id]);
  GST_OBJECT_UNLOCK (self);
  /* Never log the value of a secret. */
  if (kvs_prop_rows[prop_id - 1].secret)
    GST_DEBUG_OBJECT (self, "set %s", pspec->name);
  else if (G_VALUE_HOLDS_STRING (value))
    GST_DEBUG_OBJECT (self, "set %s = %s", pspec->name,
        GST_STR_NULL (g_value_get_string (value)));
  else
    GST_DEBUG_OBJECT (self, "set %s", pspec->name);
}

static void
gst_kvs_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKvsSink *self = GST_KVS_SINK (object);

  if (prop_id == PROP_0 || prop_id >= N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  g_value_copy (&self->props[prop_id], value);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kvs_sink_finalize (GObject * object)
{
  GstKvsSink *self = GST_KVS_SINK (object);
  guint i;

  for (i = 1; i < N_PROPS; i++)
    g_value_unset (&self->props[i]);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->write_lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------- pads */

static void
pad_data_free (gpointer data)
{
  g_free (data);
}

static GstKvsSinkPadData *
pad_data (GstPad * pad)
{
  return (GstKvsSinkPadData *) gst_pad_get_element_private (pad);
}

static GstPad *
gst_kvs_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstKvsSink *self = GST_KVS_SINK (element);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  gboolean is_video =
      templ == gst_element_class_get_pad_template (klass, "video_%u");
  GstKvsSinkPadData *data;
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if ((is_video && self->video_pad) || (!is_video && self->audio_pad)) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_WARNING (self, CORE, PAD,
        ("kvssink takes one video and one audio stream at most; "
            "a second %s pad was refused.", is_video ? "video" : "audio"),
        (NULL));
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);
  if (self->started) {
    GST_ELEMENT_WARNING (self, CORE, PAD,
        ("kvssink pads must be requested before the pipeline starts."),
        (NULL));
    return NULL;
  }
  if (name && g_strcmp0 (name, is_video ? "video_0" : "audio_0") != 0)
    GST_DEBUG_OBJECT (self, "custom pad name %s not supported", name);

  pad = gst_pad_new_from_template (templ, is_video ? "video_0" : "audio_0");
  data = g_new0 (GstKvsSinkPadData, 1);
  data->is_video = is_video;
  gst_segment_init (&data->segment, GST_FORMAT_TIME);
  gst_pad_set_element_private (pad, data);
  g_object_set_data_full (G_OBJECT (pad), "kvssink-pad-data", data,
      pad_data_free);
  gst_pad_set_chain_function (pad, GST_DEBUG_FUNCPTR (gst_kvs_sink_chain));
  gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (gst_kvs_sink_event));
  GST_PAD_SET_PROXY_CAPS (pad);
  gst_pad_set_active (pad, TRUE);

  GST_OBJECT_LOCK (self);
  if (is_video)
    self->video_pad = pad;
  else
    self->audio_pad = pad;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_kvs_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstKvsSink *self = GST_KVS_SINK (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->video_pad)
    self->video_pad = NULL;
  if (pad == self->audio_pad)
    self->audio_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

/* ---------------------------------------------------------------- ring helpers */

static gint64
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * GST_SECOND + ts.tv_nsec;
}

static void
json_append_string (GString * out, const gchar * s)
{
  const guchar *p;

  if (s == NULL) {
    g_string_append (out, "null");
    return;
  }
  g_string_append_c (out, '"');
  for (p = (const guchar *) s; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (gchar) * p);
    }
  }
  g_string_append_c (out, '"');
}

/* Writes one record; control records (caps, EOS, ...) always wait for space. */
static gint
write_record (GstKvsSink * self, guint16 type, guint16 track, guint32 flags,
    gint64 pts, gint64 dts, gint64 duration, guint64 aux, const void *payload,
    gsize length, gint timeout_ms)
{
  KvsRingRecordHeader header = { 0, };
  const void *parts[1] = { payload };
  size_t lengths[1] = { length };
  KvsRing *ring;

  header.type = type;
  header.track = track;
  header.flags = flags;
  header.pts = pts;
  header.dts = dts;
  header.duration = duration;
  header.aux = aux;

  for (;;) {
    guint64 generation;
    gint rc;

    g_mutex_lock (&self->lock);
    ring = self->ring;
    if (ring == NULL || self->worker_gone || self->fatal) {
      g_mutex_unlock (&self->lock);
      return KVS_RING_E_HANGUP;
    }
    generation = self->link_generation;
    g_mutex_unlock (&self->lock);
    /* Single writer: the forward ring may be written from several streaming threads
     * (one per pad), so writes are serialized; the ring itself is not freed while
     * started, and stop() joins the streaming threads first. */
    g_mutex_lock (&self->write_lock);
    rc = kvs_ring_write (ring, &header, parts, lengths, length ? 1 : 0,
        timeout_ms, self->writer_cancel[0]);
    g_mutex_unlock (&self->write_lock);
    if (rc != KVS_RING_E_HANGUP)
      return rc;

    /* The worker died while we waited for space: the reader thread attaches the
     * ring to its successor; then the wait goes on there. */
    g_mutex_lock (&self->lock);
    while (self->link_generation == generation && !self->worker_gone
        && !self->fatal && !self->flushing)
      g_cond_wait (&self->cond, &self->lock);
    rc = self->flushing ? KVS_RING_E_CANCELLED :
        (self->worker_gone || self->fatal) ? KVS_RING_E_HANGUP : KVS_RING_OK;
    g_mutex_unlock (&self->lock);
    if (rc != KVS_RING_OK)
      return rc;
  }
}

static gint
write_json_record (GstKvsSink * self, guint16 type, guint16 track,
    GString * json)
{
  return write_record (self, type, track, 0, -1, -1, -1, 0, json->str,
      json->len, -1);
}

/* ---------------------------------------------------------------- worker records */

static gchar *
payload_string (const KvsRingRecord * rec)
{
  return g_strndup ((const gchar *) rec->payload, rec->header.length);
}

static GstStructure *
payload_structure (GstKvsSink * self, const KvsRingRecord * rec)
{
  gchar *text = payload_string (rec);
  GstStructure *s = gst_structure_from_string (text, NULL);
  if (s == NULL)
    GST_WARNING_OBJECT (self, "unparseable record from the worker: %s", text);
  g_free (text);
  return s;
}

static GQuark
error_domain (const gchar * domain)
{
  if (g_strcmp0 (domain, "stream") == 0)
    return GST_STREAM_ERROR;
  if (g_strcmp0 (domain, "library") == 0)
    return GST_LIBRARY_ERROR;
  if (g_strcmp0 (domain, "core") == 0)
    return GST_CORE_ERROR;
  return GST_RESOURCE_ERROR;
}

static gint
error_code (GQuark domain, const gchar * name)
{
  static const struct
  {
    const gchar *name;
    gint code;
  } resource_codes[] = {
    {"not-found", GST_RESOURCE_ERROR_NOT_FOUND},
    {"open-write", GST_RESOURCE_ERROR_OPEN_WRITE},
    {"write", GST_RESOURCE_ERROR_WRITE},
    {"settings", GST_RESOURCE_ERROR_SETTINGS},
    {"no-space-left", GST_RESOURCE_ERROR_NO_SPACE_LEFT},
    {"not-authorized", GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {"busy", GST_RESOURCE_ERROR_BUSY},
    {"failed", GST_RESOURCE_ERROR_FAILED},
  };
  guint i;

  if (domain == GST_STREAM_ERROR) {
    if (g_strcmp0 (name, "format") == 0)
      return GST_STREAM_ERROR_FORMAT;
    if (g_strcmp0 (name, "wrong-type") == 0)
      return GST_STREAM_ERROR_WRONG_TYPE;
    if (g_strcmp0 (name, "codec-not-found") == 0)
      return GST_STREAM_ERROR_CODEC_NOT_FOUND;
    return GST_STREAM_ERROR_FAILED;
  }
  if (domain == GST_LIBRARY_ERROR)
    return g_strcmp0 (name, "settings") == 0 ? GST_LIBRARY_ERROR_SETTINGS :
        GST_LIBRARY_ERROR_FAILED;
  if (domain == GST_CORE_ERROR)
    return GST_CORE_ERROR_FAILED;
  for (i = 0; i < G_N_ELEMENTS (resource_codes); i++)
    if (g_strcmp0 (name, resource_codes[i].name) == 0)
      return resource_codes[i].code;
  return GST_RESOURCE_ERROR_FAILED;
}

/* Posts an error or warning the worker reported. The structure carries
 * "message" (for the user), "debug" (for the developer), "domain"/"gst-code" and
 * KVS fields such as "code" and "kvs-status-code", which travel as message details
 * so applications read fields instead of parsing text. */
static void
post_worker_problem (GstKvsSink * self, GstStructure * s, gboolean is_error)
{
  const gchar *message = gst_structure_get_string (s, "message");
  const gchar *debug = gst_structure_get_string (s, "debug");
  GQuark domain = error_domain (gst_structure_get_string (s, "domain"));
  gint code = error_code (domain, gst_structure_get_string (s, "gst-code"));
  GError *err = g_error_new_literal (domain, code,
      message ? message : "kvssink worker reported a problem");
  GstMessage *msg;
  GstStructure *details = gst_structure_copy (s);

  gst_structure_set_name (details, "details");
  if (is_error)
    msg = gst_message_new_error_with_details (GST_OBJECT (self), err, debug,
        details);
  else
    msg = gst_message_new_warning_with_details (GST_OBJECT (self), err, debug,
        details);
  g_error_free (err);
  gst_element_post_message (GST_ELEMENT (self), msg);
}

static void
post_eos (GstKvsSink * self)
{
  GstMessage *msg = gst_message_new_eos (GST_OBJECT (self));
  if (self->eos_seqnum)
    gst_message_set_seqnum (msg, self->eos_seqnum);
  GST_INFO_OBJECT (self, "stream closed: posting EOS");
  gst_element_post_message (GST_ELEMENT (self), msg);
}

static const GstDebugLevel log_levels[] = {
  GST_LEVEL_NONE, GST_LEVEL_ERROR, GST_LEVEL_WARNING, GST_LEVEL_FIXME,
  GST_LEVEL_INFO, GST_LEVEL_DEBUG, GST_LEVEL_LOG, GST_LEVEL_TRACE
};

static void
handle_worker_record (GstKvsSink * self, const KvsRingRecord * rec)
{
  GstStructure *s;

  switch (rec->header.type) {
    case KVS_RING_REC_LOG:{
      GstDebugLevel level = rec->header.flags < G_N_ELEMENTS (log_levels) ?
          log_levels[rec->header.flags] : GST_LEVEL_DEBUG;
      if (level <= gst_debug_category_get_threshold (GST_CAT_DEFAULT)) {
        gchar *text = payload_string (rec);
        GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, level, self, "worker: %s", text);
        g_free (text);
      }
      return;
    }
    case KVS_RING_REC_READY:
      g_mutex_lock (&self->lock);
      self->worker_ready = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      GST_INFO_OBJECT (self, "worker ready");
      return;
    case KVS_RING_REC_STREAM_ERROR:
      if (!(s = payload_structure (self, rec)))
        return;
      {
        gboolean fatal = TRUE;
        gst_structure_get_boolean (s, "fatal", &fatal);
        post_worker_problem (self, s, fatal);
        if (fatal) {
          g_mutex_lock (&self->lock);
          self->fatal = TRUE;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
        }
      }
      gst_structure_free (s);
      return;
    case KVS_RING_REC_WARNING:
    case KVS_RING_REC_DROPPED:
      if (!(s = payload_structure (self, rec)))
        return;
      post_worker_problem (self, s, FALSE);
      gst_structure_free (s);
      return;
    case KVS_RING_REC_FRAGMENT_ACK:
    case KVS_RING_REC_METRICS:
    case KVS_RING_REC_MESSAGE:
      if (!(s = payload_structure (self, rec)))
        return;
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), s));
      return;
    case KVS_RING_REC_STREAM_CLOSED:{
      gboolean eos_pending;
      if ((s = payload_structure (self, rec))) {
        gst_element_post_message (GST_ELEMENT (self),
            gst_message_new_element (GST_OBJECT (self), s));
      }
      g_mutex_lock (&self->lock);
      self->stream_closed = TRUE;
      eos_pending = self->eos_sent && !self->stopping;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      if (eos_pending)
        post_eos (self);
      return;
    }
    default:
      GST_WARNING_OBJECT (self, "unknown record type %u from the worker",
          rec->header.type);
  }
}

/* EOS must reach the application even when the worker cannot finish (a network that
 * stopped answering, a worker stuck retrying): after stop-stream-timeout (plus a grace
 * period for the worker to report on its own) the element posts EOS itself, with a
 * warning that says what may be lost. */
static void
check_eos_deadline (GstKvsSink * self)
{
  gboolean expired;

  g_mutex_lock (&self->lock);
  expired = self->eos_sent && !self->stream_closed && !self->stopping &&
      self->eos_deadline_us > 0 && g_get_monotonic_time () >= self->eos_deadline_us;
  if (expired)
    self->stream_closed = TRUE;
  g_mutex_unlock (&self->lock);
  if (!expired)
    return;
  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("The stream did not finish uploading within stop-stream-timeout after EOS; "
          "what was not acknowledged may be lost. Check the network, or raise "
          "\"stop-stream-timeout\"."), (NULL));
  post_eos (self);
}

static GString *build_config_json (GstKvsSink * self, guint restarts);

/* The worker died while the stream was running: attach the ring to its successor
 * (new wake-up sockets, the config again, the current caps). The worker resumes from
 * the first record not yet released, i.e. the first fragment not yet persisted.
 * Returns FALSE when the element is stopping or the worker keeps dying. */
static gboolean
attach_to_restarted_worker (GstKvsSink * self)
{
  for (;;) {
    gchar *reason = NULL;
    guint restarts = 0;
    KvsWorkerWait wait;
    gboolean stopping;
    GError *error = NULL;
    GString *config;
    gint rc;

    wait = kvs_worker_wait_restart (&self->worker_generation, 500, &reason,
        &restarts);
    g_mutex_lock (&self->lock);
    stopping = self->stopping;
    g_mutex_unlock (&self->lock);
    if (stopping) {
      g_free (reason);
      return FALSE;
    }
    if (wait == KVS_WORKER_WAITING) {
      check_eos_deadline (self);
      continue;
    }
    if (wait == KVS_WORKER_FAILED) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("The kvssink worker process keeps stopping (%s; %d restarts within "
              "%d s), so it is not restarted again: frames not yet uploaded are "
              "lost. Run with GST_DEBUG=kvssink:5 to see its log.", reason,
              KVS_WORKER_MAX_RESTARTS, KVS_WORKER_RESTART_WINDOW_S), (NULL));
      g_free (reason);
      return FALSE;
    }

    g_mutex_lock (&self->write_lock);
    rc = kvs_ring_renew_peer (self->ring);
    g_mutex_unlock (&self->write_lock);
    if (rc != KVS_RING_OK) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
          ("renewing the ring for the new worker: %s: %s",
              kvs_ring_strerror (rc), g_strerror (errno)));
      g_free (reason);
      return FALSE;
    }
    config = build_config_json (self, restarts);
    if (!kvs_worker_attach (self->ring, config->str, &error)) {
      /* The successor died too: wait for the next one. */
      GST_DEBUG_OBJECT (self, "%s", error->message);
      g_clear_error (&error);
      kvs_ring_close_peer_fds (self->ring);
      g_string_free (config, TRUE);
      g_free (reason);
      continue;
    }
    g_string_free (config, TRUE);
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, FAILED,
        ("The kvssink worker process stopped unexpectedly (%s) and was "
            "restarted (%u stop(s) in the last %d s; after %d it is not "
            "restarted). The stream resumes from the first frame not yet "
            "persisted.", reason, restarts, KVS_WORKER_RESTART_WINDOW_S,
            KVS_WORKER_MAX_RESTARTS), (NULL),
        ("code", G_TYPE_STRING, "WORKER_RESTARTED", "restarts", G_TYPE_UINT,
            restarts, "reason", G_TYPE_STRING, reason, NULL));
    g_free (reason);
    g_mutex_lock (&self->lock);
    self->link_generation++;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
}

static gpointer
reader_thread_func (gpointer data)
{
  GstKvsSink *self = GST_KVS_SINK (data);
  KvsRingRecord rec;

  for (;;) {
    gint rc;
    while ((rc = kvs_ring_read (self->ring, &rec)) == KVS_RING_OK) {
      handle_worker_record (self, &rec);
      kvs_ring_release (self->ring, rec.next);
    }
    if (rc == KVS_RING_E_CORRUPT) {
      GST_ELEMENT_ERROR (self, CORE, FAILED,
          ("Internal error: the kvssink worker sent a corrupt record."),
          (NULL));
      break;
    }
    rc = kvs_ring_wait_readable (self->ring, 500, self->reader_cancel[0]);
    if (rc == KVS_RING_OK)
      continue;
    if (rc == KVS_RING_E_TIMEOUT) {
      check_eos_deadline (self);
      continue;
    }
    if (rc == KVS_RING_E_HANGUP || rc == KVS_RING_E_SYS) {
      gboolean expected;
      /* Drain whatever it wrote before going. */
      while (kvs_ring_read (self->ring, &rec) == KVS_RING_OK) {
        handle_worker_record (self, &rec);
        kvs_ring_release (self->ring, rec.next);
      }
      g_mutex_lock (&self->lock);
      expected = self->stopping || self->fatal || self->stream_closed;
      g_mutex_unlock (&self->lock);
      if (!expected && attach_to_restarted_worker (self))
        continue;
      g_mutex_lock (&self->lock);
      self->worker_gone = TRUE;
      if (!expected && !self->stopping)
        self->fatal = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    }
    /* cancelled: stop() wants us gone */
    break;
  }
  return NULL;
}

/* ---------------------------------------------------------------- start / stop */

static void
append_property_json (GstKvsSink * self, GString * json, const KvsPropRow * row)
{
  const GValue *v = &self->props[row->id];

  json_append_string (json, row->name);
  g_string_append_c (json, ':');
  switch (row->type) {
    case KVS_PROP_STRING:
      json_append_string (json, g_value_get_string (v));
      break;
    case KVS_PROP_UINT:
      g_string_append_printf (json, "%u", g_value_get_uint (v));
      break;
    case KVS_PROP_UINT64:
      g_string_append_printf (json, "%" G_GUINT64_FORMAT,
          g_value_get_uint64 (v));
      break;
    case KVS_PROP_BOOLEAN:
      g_string_append (json, g_value_get_boolean (v) ? "true" : "false");
      break;
    case KVS_PROP_ENUM:
      g_string_append_printf (json, "%d", g_value_get_enum (v));
      break;
    case KVS_PROP_STRUCTURE:{
      const GstStructure *s = gst_value_get_structure (v);
      if (s) {
        gchar *text = gst_structure_to_string (s);
        json_append_string (json, text);
        g_free (text);
      } else {
        g_string_append (json, "null");
      }
      break;
    }
  }
}

static void
append_track_json (GString * json, GstPad * pad, const gchar * kind)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);

  g_string_append_printf (json, "{\"track\":%u,\"kind\":\"%s\",\"pad\":",
      pad_data (pad)->track, kind);
  json_append_string (json, GST_PAD_NAME (pad));
  if (caps) {
    gchar *text = gst_caps_to_string (caps);
    g_string_append (json, ",\"caps\":");
    json_append_string (json, text);
    g_free (text);
    gst_caps_unref (caps);
  }
  g_string_append_c (json, '}');
}

/* The config the worker gets with the ring: the properties, the tracks (with their
 * current caps once known: a restarted worker may find the caps records released),
 * and how many times the worker was restarted. */
static GString *
build_config_json (GstKvsSink * self, guint restarts)
{
  GString *json = g_string_new ("{\"version\":2,\"element\":");
  gchar *name = gst_object_get_name (GST_OBJECT (self));
  GstPad *video = NULL, *audio = NULL;
  guint i;
  gboolean first = TRUE;

  json_append_string (json, name);
  g_free (name);
  g_string_append_printf (json, ",\"gstreamer\":\"%u.%u.%u\",\"restarts\":%u,"
      "\"properties\":{", GST_VERSION_MAJOR, GST_VERSION_MINOR,
      GST_VERSION_MICRO, restarts);
  GST_OBJECT_LOCK (self);
  for (i = 0; i < G_N_ELEMENTS (kvs_prop_rows); i++) {
    if (!first)
      g_string_append_c (json, ',');
    first = FALSE;
    append_property_json (self, json, &kvs_prop_rows[i]);
  }
  if (self->video_pad)
    video = gst_object_ref (self->video_pad);
  if (self->audio_pad)
    audio = gst_object_ref (self->audio_pad);
  GST_OBJECT_UNLOCK (self);
  g_string_append (json, "},\"tracks\":[");
  if (video)
    append_track_json (json, video, "video");
  if (audio) {
    if (video)
      g_string_append_c (json, ',');
    append_track_json (json, audio, "audio");
  }
  g_string_append (json, "]}");
  if (video)
    gst_object_unref (video);
  if (audio)
    gst_object_unref (audio);
  return json;
}

static void
close_pipe (gint fds[2])
{
  if (fds[0] >= 0)
    close (fds[0]);
  if (fds[1] >= 0)
    close (fds[1]);
  fds[0] = fds[1] = -1;
}

static void
signal_pipe (gint fds[2])
{
  const gchar byte = 1;
  if (fds[1] >= 0 && write (fds[1], &byte, 1) < 0)
    GST_DEBUG ("cancel pipe: %s", g_strerror (errno));
}

static void
drain_pipe (gint fds[2])
{
  gchar buf[16];
  if (fds[0] >= 0)
    while (read (fds[0], buf, sizeof buf) > 0) {
    }
}

static gboolean
gst_kvs_sink_start (GstKvsSink * self)
{
  GError *error = NULL;
  GString *config;
  guint storage_mb;
  gint rc;
  gint64 deadline;
  gboolean ready, failed;

  GST_OBJECT_LOCK (self);
  if (!self->video_pad && !self->audio_pad) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, CORE, PAD,
        ("kvssink has no input: link a video (video_%%u) or audio "
            "(audio_%%u) stream to it."), (NULL));
    return FALSE;
  }
  /* Track numbers follow the official element: video 1, audio 2 (1 if alone). */
  if (self->video_pad)
    pad_data (self->video_pad)->track = 1;
  if (self->audio_pad)
    pad_data (self->audio_pad)->track = self->video_pad ? 2 : 1;
  storage_mb = g_value_get_uint (&self->props[PROP_STORAGE_SIZE]);
  GST_OBJECT_UNLOCK (self);

  rc = kvs_ring_create ((guint64) storage_mb * 1024 * 1024, BACK_RING_BYTES,
      &self->ring);
  if (rc != KVS_RING_OK) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Could not allocate %u MB of shared memory for the stream buffer: "
            "lower \"storage-size\".", storage_mb),
        ("%s: %s", kvs_ring_strerror (rc), g_strerror (errno)));
    self->ring = NULL;
    return FALSE;
  }
  if (!g_unix_open_pipe (self->writer_cancel, FD_CLOEXEC, NULL)
      || !g_unix_open_pipe (self->reader_cancel, FD_CLOEXEC, NULL)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL), ("pipe: %s",
            g_strerror (errno)));
    goto fail;
  }
  g_unix_set_fd_nonblocking (self->writer_cancel[0], TRUE, NULL);
  g_unix_set_fd_nonblocking (self->reader_cancel[0], TRUE, NULL);

  self->worker_ready = self->worker_gone = self->stopping = FALSE;
  self->fatal = self->flushing = self->eos_sent = self->stream_closed = FALSE;
  self->eos_seqnum = 0;
  self->eos_deadline_us = 0;
  self->dropped_frames = 0;
  self->last_drop_warning_us = 0;

  self->worker_generation = kvs_worker_acquire (&error);
  if (self->worker_generation == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("%s", error->message), (NULL));
    g_clear_error (&error);
    goto fail;
  }
  self->worker_acquired = TRUE;
  config = build_config_json (self, 0);
  if (!kvs_worker_attach (self->ring, config->str, &error)) {
    /* It died already: with the peer fds closed the reader thread sees the
     * hang-up and attaches to the successor. */
    GST_DEBUG_OBJECT (self, "%s", error->message);
    g_clear_error (&error);
    kvs_ring_close_peer_fds (self->ring);
  }
  g_string_free (config, TRUE);
  self->started = TRUE;
  self->reader_thread = g_thread_new ("kvssink-reader", reader_thread_func,
      self);

  deadline = g_get_monotonic_time () + WORKER_READY_TIMEOUT_S * G_TIME_SPAN_SECOND;
  g_mutex_lock (&self->lock);
  while (!self->worker_ready && !self->worker_gone && !self->fatal)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  ready = self->worker_ready;
  failed = self->fatal || self->worker_gone;
  g_mutex_unlock (&self->lock);
  if (!ready) {
    if (!failed)
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("The kvssink worker did not start within %d s.",
              WORKER_READY_TIMEOUT_S), (NULL));
    gst_kvs_sink_stop (self);
    return FALSE;
  }
  return TRUE;

fail:
  close_pipe (self->writer_cancel);
  close_pipe (self->reader_cancel);
  kvs_ring_free (self->ring);
  self->ring = NULL;
  if (self->worker_acquired)
    kvs_worker_release ();
  self->worker_acquired = FALSE;
  return FALSE;
}

static void
gst_kvs_sink_stop (GstKvsSink * self)
{
  gboolean finish;

  if (!self->started)
    return;

  /* Blocked writers give up; nothing new is accepted. */
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  finish = !self->stream_closed && !self->worker_gone && !self->fatal
      && self->worker_ready;
  g_mutex_unlock (&self->lock);
  signal_pipe (self->writer_cancel);

  if (finish) {
    /* A state change to NULL means now, whatever the network does: the worker
     * reports what it could not deliver (use EOS first to deliver everything) and
     * closes the stream; it gets STOP_NOW_MS for that. */
    KvsRingRecordHeader header = { 0, };
    gint64 deadline = g_get_monotonic_time () + STOP_NOW_MS * 1000;
    header.type = KVS_RING_REC_SHUTDOWN;
    header.pts = header.dts = header.duration = -1;
    g_mutex_lock (&self->write_lock);
    kvs_ring_write (self->ring, &header, NULL, NULL, 0, STOP_NOW_MS / 4, -1);
    g_mutex_unlock (&self->write_lock);
    g_mutex_lock (&self->lock);
    while (!self->stream_closed && !self->worker_gone && !self->fatal)
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        break;
    if (!self->stream_closed && !self->worker_gone && !self->fatal)
      GST_WARNING_OBJECT (self, "worker did not close the stream in time");
    g_mutex_unlock (&self->lock);
  }

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);
  signal_pipe (self->reader_cancel);
  if (self->reader_thread) {
    g_thread_join (self->reader_thread);
    self->reader_thread = NULL;
  }

  /* Closing our ends tells the worker this stream is gone; the last element to
   * stop stops the worker. */
  g_mutex_lock (&self->lock);
  kvs_ring_free (self->ring);
  self->ring = NULL;
  g_mutex_unlock (&self->lock);
  if (self->worker_acquired)
    kvs_worker_release ();
  self->worker_acquired = FALSE;
  close_pipe (self->writer_cancel);
  close_pipe (self->reader_cancel);
  self->started = FALSE;
  GST_INFO_OBJECT (self, "stopped; %" G_GUINT64_FORMAT " frames dropped",
      self->dropped_frames);
}

static GstStateChangeReturn
gst_kvs_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstKvsSink *self = GST_KVS_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_kvs_sink_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Wake streaming threads blocked on a full ring before the pads deactivate. */
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      signal_pipe (self->writer_cancel);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_kvs_sink_stop (self);
  return ret;
}

/* ---------------------------------------------------------------- streaming */

static guint32
frame_flags (GstBuffer * buffer, gboolean is_video)
{
  guint32 flags = 0;
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    flags |= is_video ? KVS_RING_FRAME_KEY : 0;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT))
    flags |= KVS_RING_FRAME_DISCONT;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER))
    flags |= KVS_RING_FRAME_HEADER;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_CORRUPTED))
    flags |= KVS_RING_FRAME_CORRUPTED;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DECODE_ONLY))
    flags |= KVS_RING_FRAME_DECODE_ONLY;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP))
    flags |= KVS_RING_FRAME_GAP;
  return flags;
}

static gint64
to_running_time (const GstSegment * segment, GstClockTime ts, gboolean clip)
{
  guint64 rt;
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return -1;
  if (!clip)
    return (gint64) ts;
  rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
  return GST_CLOCK_TIME_IS_VALID (rt) ? (gint64) rt : -1;
}

static GstFlowReturn
gst_kvs_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstKvsSink *self = GST_KVS_SINK (parent);
  GstKvsSinkPadData *data = pad_data (pad);
  gboolean clip, offline, flushing, fatal;
  GstMapInfo map;
  gint64 pts, dts, duration;
  gint rc;

  g_mutex_lock (&self->lock);
  flushing = self->flushing;
  fatal = self->fatal || self->worker_gone;
  g_mutex_unlock (&self->lock);
  if (fatal) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  if (flushing) {
    gst_buffer_unref (buffer);
    return GST_FLOW_FLUSHING;
  }

  GST_OBJECT_LOCK (self);
  clip = !g_value_get_boolean (&self->props[PROP_DISABLE_BUFFER_CLIPPING]);
  offline = g_value_get_enum (&self->props[PROP_STREAMING_TYPE]) == 2;
  GST_OBJECT_UNLOCK (self);

  if (clip && GST_BUFFER_PTS_IS_VALID (buffer)) {
    guint64 start = GST_BUFFER_PTS (buffer), cstart, cstop;
    guint64 stop = GST_BUFFER_DURATION_IS_VALID (buffer) ?
        start + GST_BUFFER_DURATION (buffer) : GST_CLOCK_TIME_NONE;
    if (!gst_segment_clip (&data->segment, GST_FORMAT_TIME, start, stop,
            &cstart, &cstop)) {
      GST_DEBUG_OBJECT (pad, "buffer outside the segment: skipped");
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  }
  pts = to_running_time (&data->segment, GST_BUFFER_PTS (buffer), clip);
  dts = to_running_time (&data->segment, GST_BUFFER_DTS (buffer), clip);
  duration = GST_BUFFER_DURATION_IS_VALID (buffer) ?
      (gint64) GST_BUFFER_DURATION (buffer) : -1;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL),
        ("could not map the buffer"));
    return GST_FLOW_ERROR;
  }
  /* Realtime: never stall the pipeline on a full buffer, drop and say so.
   * Offline: block until the worker frees space (or we are flushed). */
  rc = write_record (self, KVS_RING_REC_FRAME, (guint16) data->track,
      frame_flags (buffer, data->is_video), pts, dts, duration,
      (guint64) monotonic_ns (), map.data, map.size, offline ? -1 : 0);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);

  switch (rc) {
    case KVS_RING_OK:
      return GST_FLOW_OK;
    case KVS_RING_E_FULL:{
      gint64 now = g_get_monotonic_time ();
      gboolean warn;
      guint64 dropped;
      g_mutex_lock (&self->lock);
      dropped = ++self->dropped_frames;
      warn = now - self->last_drop_warning_us >= DROP_WARNING_INTERVAL_US;
      if (warn)
        self->last_drop_warning_us = now;
      g_mutex_unlock (&self->lock);
      if (warn)
        GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, NO_SPACE_LEFT,
            ("The stream buffer is full: dropping frames (%" G_GUINT64_FORMAT
                " so far). The upload is slower than the input: raise "
                "\"storage-size\", lower the bitrate, or use "
                "streaming-type=offline to block instead of dropping.",
                dropped), (NULL),
            ("dropped-frames", G_TYPE_UINT64, dropped, NULL));
      return GST_FLOW_OK;
    }
    case KVS_RING_E_CANCELLED:
      return GST_FLOW_FLUSHING;
    case KVS_RING_E_TOO_LARGE:
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("A %" G_GSIZE_FORMAT "-byte frame does not fit in the stream "
              "buffer: raise \"storage-size\".", map.size), (NULL));
      return GST_FLOW_ERROR;
    case KVS_RING_E_HANGUP:
    default:
      /* The reader thread posts the error about the worker. */
      return GST_FLOW_ERROR;
  }
}

static gboolean
send_caps (GstKvsSink * self, GstPad * pad, GstCaps * caps)
{
  gchar *text = gst_caps_to_string (caps);
  gint rc = write_record (self, KVS_RING_REC_TRACK,
      (guint16) pad_data (pad)->track, 0, -1, -1, -1, 0, text, strlen (text),
      -1);
  GST_DEBUG_OBJECT (pad, "caps %s", text);
  g_free (text);
  return rc == KVS_RING_OK;
}

static gboolean
send_metadata (GstKvsSink * self, const GstStructure * s)
{
  const gchar *name = gst_structure_get_string (s, "name");
  const gchar *value = gst_structure_get_string (s, "value");
  gboolean persist;
  GString *json;
  gint rc;

  if (!name || !value || !gst_structure_get_boolean (s, "persist", &persist)) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Ignored a kvs-add-metadata event: it needs the fields name "
            "(string), value (string) and persist (boolean)."), (NULL));
    return FALSE;
  }
  json = g_string_new ("{\"name\":");
  json_append_string (json, name);
  g_string_append (json, ",\"value\":");
  json_append_string (json, value);
  g_string_append_printf (json, ",\"persistent\":%s}",
      persist ? "true" : "false");
  rc = write_json_record (self, KVS_RING_REC_METADATA, 0, json);
  g_string_free (json, TRUE);
  return rc == KVS_RING_OK;
}

static gboolean
all_pads_eos (GstKvsSink * self)
{
  gboolean eos = TRUE;
  GST_OBJECT_LOCK (self);
  if (self->video_pad && !pad_data (self->video_pad)->eos)
    eos = FALSE;
  if (self->audio_pad && !pad_data (self->audio_pad)->eos)
    eos = FALSE;
  GST_OBJECT_UNLOCK (self);
  return eos;
}

static gboolean
gst_kvs_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKvsSink *self = GST_KVS_SINK (parent);
  GstKvsSinkPadData *data = pad_data (pad);
  gboolean ret = TRUE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      ret = send_caps (self, pad, caps);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &data->segment);
      break;
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      signal_pipe (self->writer_cancel);
      break;
    case GST_EVENT_FLUSH_STOP:
      drain_pipe (self->writer_cancel);
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      g_mutex_unlock (&self->lock);
      gst_segment_init (&data->segment, GST_FORMAT_TIME);
      data->eos = FALSE;
      write_record (self, KVS_RING_REC_FLUSH, (guint16) data->track, 0, -1, -1,
          -1, 0, NULL, 0, -1);
      break;
    case GST_EVENT_EOS:
      data->eos = TRUE;
      if (all_pads_eos (self)) {
        gint rc;
        guint timeout_s;
        GST_OBJECT_LOCK (self);
        timeout_s = g_value_get_uint (&self->props[PROP_STOP_STREAM_TIMEOUT]);
        GST_OBJECT_UNLOCK (self);
        g_mutex_lock (&self->lock);
        self->eos_seqnum = gst_event_get_seqnum (event);
        self->eos_sent = TRUE;
        self->eos_deadline_us = g_get_monotonic_time () +
            ((gint64) timeout_s + STOP_GRACE_S) * G_TIME_SPAN_SECOND;
        g_mutex_unlock (&self->lock);
        GST_INFO_OBJECT (self, "all pads at EOS: finishing the stream");
        /* EOS is posted once the worker reports the stream closed. */
        rc = write_record (self, KVS_RING_REC_EOS, 0, 0, -1, -1, -1, 0, NULL, 0,
            -1);
        if (rc != KVS_RING_OK)
          ret = FALSE;
      }
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      const GstStructure *s = gst_event_get_structure (event);
      if (s && gst_structure_has_name (s, "kvs-add-metadata")) {
        send_metadata (self, s);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    default:
      break;
  }
  gst_event_unref (event);
  return ret;
}

/* ---------------------------------------------------------------- plugin */

static gboolean
plugin_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_kvs_sink_debug, "kvssink", 0, "kvssink element");
  return GST_ELEMENT_REGISTER (kvssink, plugin);
}

#define PACKAGE "kvssink"
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kvssink,
    "GStreamer sink for Amazon Kinesis Video Streams", plugin_init,
    KVSSINK_VERSION, "Apache 2.0", "kvssink", "https://github.com/kvssink")
