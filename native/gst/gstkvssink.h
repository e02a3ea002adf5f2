/* kvssink: GStreamer sink for Amazon Kinesis Video Streams
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef __GST_KVS_SINK_H__
#define __GST_KVS_SINK_H__

#include <gst/gst.h>

#include "gstkvssinkprops.h"
#include "../ring/kvs_ring.h"

G_BEGIN_DECLS

#define GST_TYPE_KVS_SINK (gst_kvs_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstKvsSink, gst_kvs_sink, GST, KVS_SINK, GstElement)

#define GST_TYPE_KVS_SINK_STREAMING_TYPE (gst_kvs_sink_streaming_type_get_type ())
GType gst_kvs_sink_streaming_type_get_type (void);

struct _GstKvsSink
{
  GstElement parent;

  /* properties: one GValue per property id, under the object lock */
  GValue props[N_PROPS];

  /* pads (under the object lock) */
  GstPad *video_pad;
  GstPad *audio_pad;

  /* the worker and its ring; `lock` guards everything below */
  GMutex lock;
  GCond cond;
  GMutex write_lock;            /* serializes writers of the forward ring (one per pad) */
  KvsRing *ring;
  guint64 worker_generation;    /* of the worker the ring is attached to */
  gboolean worker_acquired;     /* holds a reference on the process's worker */
  guint64 link_generation;      /* bumps when the ring moved to a restarted worker */
  GThread *reader_thread;
  gint writer_cancel[2];        /* readable while flushing/stopping: wakes blocked writers */
  gint reader_cancel[2];        /* readable while stopping: wakes the reader thread */
  gboolean started;
  gboolean flushing;
  gboolean worker_ready;
  gboolean worker_gone;          /* the worker end is gone for good */
  gboolean stopping;
  gboolean fatal;               /* an error was posted; streaming returns ERROR */
  gboolean eos_sent;            /* EOS record written */
  gboolean stream_closed;       /* the worker reported the stream closed */
  guint32 eos_seqnum;
  gint64 eos_deadline_us;       /* monotonic: EOS is posted by then even if the worker is stuck */
  guint64 dropped_frames;
  gint64 last_drop_warning_us;
};

G_END_DECLS

#endif /* __GST_KVS_SINK_H__ */
