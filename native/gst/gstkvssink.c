/* kvssink: the element and its pads: properties, request pads, state changes, buffers and events
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
 * This file is the element and its pads; gstkvssinkrecords.c is the link to the worker
 * and the records on the ring, gstkvssinkconfig.c the config record, gstkvsworker.c the
 * worker process.
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
#include "gstkvssinkprivate.h"

#include <string.h>
#include <time.h>

#ifndef KVSSINK_VERSION
#define KVSSINK_VERSION "0.1.0"
#endif

GST_DEBUG_CATEGORY (gst_kvs_sink_debug);

#define DROP_WARNING_INTERVAL_US (5 * G_USEC_PER_SEC)

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

guint gst_kvs_sink_signals[GST_KVS_SINK_N_SIGNALS];

/* GLib checks an int property against its range before set_property runs, and on a
 * bad value only logs a g_warning: the pipeline then streams with the old value. A
 * GParamSpecUInt (and UInt64) whose validation keeps every value lets the element refuse it at
 * NULL->READY with an error that names it, while gst-inspect and introspection still
 * see the real range (these types derive from GParamSpecUInt and GParamSpecUInt64). */
static gboolean
kvs_param_keep (GParamSpec * pspec, GValue * value)
{
  return FALSE;
}

#if GLIB_CHECK_VERSION (2, 74, 0)
static gboolean
kvs_param_is_valid (GParamSpec * pspec, const GValue * value)
{
  return TRUE;
}
#endif

static void
kvs_param_keep_class_init (GParamSpecClass * klass, gpointer data)
{
  klass->value_validate = kvs_param_keep;
#if GLIB_CHECK_VERSION (2, 74, 0)
  klass->value_is_valid = kvs_param_is_valid;
#endif
}

static GType
kvs_param_keep_type (GType parent, const gchar * name, gsize instance_size)
{
  const GTypeInfo info = { sizeof (GParamSpecClass), NULL, NULL,
    (GClassInitFunc) kvs_param_keep_class_init, NULL, NULL,
    (guint16) instance_size, 0, NULL, NULL
  };
  return g_type_register_static (parent, name, &info, 0);
}

static GType
kvs_param_uint_get_type (void)
{
  static GType type = 0;
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, kvs_param_keep_type (G_TYPE_PARAM_UINT,
            "GstKvsSinkParamUInt", sizeof (GParamSpecUInt)));
  return type;
}

static GType
kvs_param_uint64_get_type (void)
{
  static GType type = 0;
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, kvs_param_keep_type (G_TYPE_PARAM_UINT64,
            "GstKvsSinkParamUInt64", sizeof (GParamSpecUInt64)));
  return type;
}

static GParamSpec *
kvs_param_spec_uint (const KvsPropRow * row, GParamFlags flags)
{
  GParamSpecUInt *spec = g_param_spec_internal (kvs_param_uint_get_type (),
      row->name, row->nick, row->blurb, flags);
  spec->minimum = (guint) row->min;
  spec->maximum = (guint) row->max;
  spec->default_value = (guint) row->default_number;
  return G_PARAM_SPEC (spec);
}

static GParamSpec *
kvs_param_spec_uint64 (const KvsPropRow * row, GParamFlags flags)
{
  GParamSpecUInt64 *spec = g_param_spec_internal (kvs_param_uint64_get_type (),
      row->name, row->nick, row->blurb, flags);
  spec->minimum = row->min;
  spec->maximum = row->max;
  spec->default_value = row->default_number;
  return G_PARAM_SPEC (spec);
}

static GParamSpec *
kvs_prop_to_pspec (const KvsPropRow * row)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      (row->mutable_playing ? GST_PARAM_MUTABLE_PLAYING :
      GST_PARAM_MUTABLE_READY);

  switch (row->type) {
    case KVS_PROP_STRING:
      return g_param_spec_string (row->name, row->nick, row->blurb,
          row->default_string, flags);
    case KVS_PROP_UINT:
      return kvs_param_spec_uint (row, flags);
    case KVS_PROP_UINT64:
      return kvs_param_spec_uint64 (row, flags);
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

  /**
   * GstKvsSink::stream-error:
   * @sink: the element
   * @status: the producer SDK status code of the error (0x52000010 ...)
   *
   * A non-recoverable stream error, as the official element's (which also
   * passes a guint64 status). The error message on the bus carries the
   * details.
   */
  gst_kvs_sink_signals[SIGNAL_STREAM_ERROR] = g_signal_new ("stream-error",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * GstKvsSink::fragment-ack:
   * @sink: the element
   * @ack: a #GstStructure "kvs-fragment-ack" (the official element passes a
   *   PFragmentAck pointer; the structure has its fields: version, ack-type,
   *   timestamp, sequence-number, result)
   *
   * Every fragment ACK KVS sends (BUFFERING, RECEIVED, PERSISTED, ERROR, IDLE).
   */
  gst_kvs_sink_signals[SIGNAL_FRAGMENT_ACK] = g_signal_new ("fragment-ack",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_ACTION, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * GstKvsSink::stream-client-metric:
   * @sink: the element
   * @metrics: a #GstStructure "kvs-stream-client-metric" with the stream and
   *   client metrics of the guide (the official element passes a KvsSinkMetric
   *   pointer)
   *
   * With get-kvs-metrics=true: the metrics at every key frame (and the first
   * frame). The same structure is posted as an element message.
   */
  gst_kvs_sink_signals[SIGNAL_STREAM_CLIENT_METRIC] =
      g_signal_new ("stream-client-metric", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_ACTION, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
      GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

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

  const KvsPropRow *row;
  gboolean running;

  if (prop_id == PROP_0 || prop_id >= N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  row = &kvs_prop_rows[prop_id - 1];
  GST_OBJECT_LOCK (self);
  running = GST_STATE (self) > GST_STATE_READY
      || GST_STATE_PENDING (self) > GST_STATE_READY;
  /* Setting the value it already has changes nothing: no warning. */
  if (running && !row->mutable_playing
      && g_param_values_cmp (pspec, value, &self->props[prop_id]) == 0)
    running = FALSE;
  if (!running || row->mutable_playing)
    g_value_copy (value, &self->props[prop_id]);
  GST_OBJECT_UNLOCK (self);
  if (running && !row->mutable_playing) {
    /* The worker read it at start; a new value would silently not apply. */
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("Property \"%s\" cannot change while the stream runs (it is read when "
            "the stream starts): the change was ignored. Set it before the "
            "pipeline leaves READY.", pspec->name), (NULL),
        ("code", G_TYPE_STRING, "PROPERTY_NOT_MUTABLE", "property",
            G_TYPE_STRING, pspec->name, NULL));
    return;
  }
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

/* ---------------------------------------------------------------- state */

static gint64
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * GST_SECOND + ts.tv_nsec;
}

static GstStateChangeReturn
gst_kvs_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstKvsSink *self = GST_KVS_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_kvs_sink_check_properties (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
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
      gst_kvs_sink_signal_pipe (self->writer_cancel);
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
  GstKvsSinkPadData *data = gst_kvs_sink_pad_data (pad);
  gboolean clip, offline, flushing, fatal;
  GstMapInfo map;
  gint64 pts, dts, duration;
  guint32 flags;
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
   * Offline: block until the worker frees space (or we are flushed).
   * The worker drops whole fragments before the ring fills; a drop here means
   * it could not (one fragment held it all). The rest of that GOP would not
   * decode, so video resumes at the next key frame, flagged DISCONT so that it
   * starts a fragment, after a record telling the worker what went. */
  flags = frame_flags (buffer, data->is_video);
  if (data->dropped > 0 && data->is_video && !(flags & KVS_RING_FRAME_KEY))
    rc = KVS_RING_E_FULL;
  else if (data->dropped > 0 && gst_kvs_sink_write_record (self,
          KVS_RING_REC_DROPPED_AT_ELEMENT, (guint16) data->track, 0,
          data->dropped_first_pts, data->dropped_last_pts, -1, data->dropped,
          NULL, 0, 0) != KVS_RING_OK)
    rc = KVS_RING_E_FULL;
  else {
    if (data->dropped > 0)
      flags |= KVS_RING_FRAME_DISCONT;
    data->dropped = 0;
    rc = gst_kvs_sink_write_record (self, KVS_RING_REC_FRAME,
        (guint16) data->track, flags, pts, dts, duration,
        (guint64) monotonic_ns (), map.data, map.size, offline ? -1 : 0);
  }
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);

  switch (rc) {
    case KVS_RING_OK:
      return GST_FLOW_OK;
    case KVS_RING_E_FULL:{
      gint64 now = g_get_monotonic_time ();
      gboolean warn;
      guint64 dropped;
      if (data->dropped++ == 0)
        data->dropped_first_pts = pts;
      data->dropped_last_pts = pts;
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
  gint rc = gst_kvs_sink_write_record (self, KVS_RING_REC_TRACK,
      (guint16) gst_kvs_sink_pad_data (pad)->track, 0, -1, -1, -1, 0, text, strlen (text),
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
  gst_kvs_sink_json_append_string (json, name);
  g_string_append (json, ",\"value\":");
  gst_kvs_sink_json_append_string (json, value);
  g_string_append_printf (json, ",\"persistent\":%s}",
      persist ? "true" : "false");
  rc = gst_kvs_sink_write_json_record (self, KVS_RING_REC_METADATA, 0, json);
  g_string_free (json, TRUE);
  return rc == KVS_RING_OK;
}

static gboolean
all_pads_eos (GstKvsSink * self)
{
  gboolean eos = TRUE;
  GST_OBJECT_LOCK (self);
  if (self->video_pad && !gst_kvs_sink_pad_data (self->video_pad)->eos)
    eos = FALSE;
  if (self->audio_pad && !gst_kvs_sink_pad_data (self->audio_pad)->eos)
    eos = FALSE;
  GST_OBJECT_UNLOCK (self);
  return eos;
}

static gboolean
gst_kvs_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKvsSink *self = GST_KVS_SINK (parent);
  GstKvsSinkPadData *data = gst_kvs_sink_pad_data (pad);
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
      gst_kvs_sink_signal_pipe (self->writer_cancel);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_kvs_sink_drain_pipe (self->writer_cancel);
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      g_mutex_unlock (&self->lock);
      gst_segment_init (&data->segment, GST_FORMAT_TIME);
      data->eos = FALSE;
      gst_kvs_sink_write_record (self, KVS_RING_REC_FLUSH, (guint16) data->track, 0, -1, -1,
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
        rc = gst_kvs_sink_write_record (self, KVS_RING_REC_EOS, 0, 0, -1, -1, -1, 0, NULL, 0,
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
