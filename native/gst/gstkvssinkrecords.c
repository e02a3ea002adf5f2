/* kvssink: the records on the ring: the link to the worker, records to it, and its records as bus messages
 * SPDX-License-Identifier: Apache-2.0
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstkvssink.h"
#include "gstkvssinkprivate.h"
#include "gstkvsworker.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT gst_kvs_sink_debug

/* Back-ring records are tiny; 1 MiB absorbs bursts of log lines and acks. */
#define BACK_RING_BYTES (1024 * 1024)
/* Node cold start on a small board can take seconds; a worker that is not up by
 * then is not going to be. */
#define WORKER_READY_TIMEOUT_S 30
/* PLAYING to NULL without EOS: how long the worker gets to close the stream. */
#define STOP_NOW_MS 500
/* The producer SDK's STATUS_SERVICE_CALL_UNKNOWN_ERROR, for a stream error
 * without a status of its own. */
#define STATUS_UNKNOWN_ERROR G_GUINT64_CONSTANT (0x52000031)

/* Writes one record; control records (caps, EOS, ...) always wait for space. */
gint
gst_kvs_sink_write_record (GstKvsSink * self, guint16 type, guint16 track, guint32 flags,
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

gint
gst_kvs_sink_write_json_record (GstKvsSink * self, guint16 type, guint16 track,
    GString * json)
{
  return gst_kvs_sink_write_record (self, type, track, 0, -1, -1, -1, 0, json->str,
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
        guint64 status = STATUS_UNKNOWN_ERROR;
        gst_structure_get_boolean (s, "fatal", &fatal);
        /* As the official element: the signal first, for non-recoverable errors
         * only; then the error on the bus. */
        if (fatal) {
          gst_structure_get_uint64 (s, "sdk-status", &status);
          g_signal_emit (self, gst_kvs_sink_signals[SIGNAL_STREAM_ERROR], 0,
              status);
        }
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
      if (!(s = payload_structure (self, rec)))
        return;
      g_signal_emit (self, gst_kvs_sink_signals[SIGNAL_FRAGMENT_ACK], 0, s);
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), s));
      return;
    case KVS_RING_REC_METRICS:{
      gboolean wanted;
      /* The worker reports at every key frame; get-kvs-metrics may change while
       * PLAYING, so it is read here. */
      GST_OBJECT_LOCK (self);
      wanted = g_value_get_boolean (&self->props[PROP_GET_KVS_METRICS]);
      GST_OBJECT_UNLOCK (self);
      if (!wanted || !(s = payload_structure (self, rec)))
        return;
      g_signal_emit (self, gst_kvs_sink_signals[SIGNAL_STREAM_CLIENT_METRIC], 0,
          s);
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), s));
      return;
    }
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
    config = gst_kvs_sink_build_config_json (self, restarts);
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

static void
close_pipe (gint fds[2])
{
  if (fds[0] >= 0)
    close (fds[0]);
  if (fds[1] >= 0)
    close (fds[1]);
  fds[0] = fds[1] = -1;
}

void
gst_kvs_sink_signal_pipe (gint fds[2])
{
  const gchar byte = 1;
  if (fds[1] >= 0 && write (fds[1], &byte, 1) < 0)
    GST_DEBUG ("cancel pipe: %s", g_strerror (errno));
}

void
gst_kvs_sink_drain_pipe (gint fds[2])
{
  gchar buf[16];
  if (fds[0] >= 0)
    while (read (fds[0], buf, sizeof buf) > 0) {
    }
}

gboolean
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
    gst_kvs_sink_pad_data (self->video_pad)->track = 1;
  if (self->audio_pad)
    gst_kvs_sink_pad_data (self->audio_pad)->track = self->video_pad ? 2 : 1;
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
  config = gst_kvs_sink_build_config_json (self, 0);
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

void
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
  gst_kvs_sink_signal_pipe (self->writer_cancel);

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
  gst_kvs_sink_signal_pipe (self->reader_cancel);
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

