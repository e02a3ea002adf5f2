/* kvssink: what the element's source files share with each other (not installed)
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef __GST_KVS_SINK_PRIVATE_H__
#define __GST_KVS_SINK_PRIVATE_H__

#include "gstkvssink.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_kvs_sink_debug);

/* Extra time granted to the worker beyond stop-stream-timeout to report back. */
#define STOP_GRACE_S 5

typedef struct
{
  guint track;
  gboolean is_video;
  gboolean eos;
  GstSegment segment;
  /* Frames dropped at a full ring since the last one written (realtime), and
   * their first and last PTS: reported to the worker before the next frame. */
  guint64 dropped;
  gint64 dropped_first_pts;
  gint64 dropped_last_pts;
} GstKvsSinkPadData;

static inline GstKvsSinkPadData *
gst_kvs_sink_pad_data (GstPad * pad)
{
  return (GstKvsSinkPadData *) gst_pad_get_element_private (pad);
}

enum
{
  SIGNAL_STREAM_ERROR,
  SIGNAL_FRAGMENT_ACK,
  SIGNAL_STREAM_CLIENT_METRIC,
  GST_KVS_SINK_N_SIGNALS
};

/* gstkvssink.c: the official element's signals */
extern guint gst_kvs_sink_signals[GST_KVS_SINK_N_SIGNALS];

/* gstkvssinkrecords.c: the link to the worker and the records on the ring */
gboolean gst_kvs_sink_start (GstKvsSink * self);
void gst_kvs_sink_stop (GstKvsSink * self);
gint gst_kvs_sink_write_record (GstKvsSink * self, guint16 type, guint16 track,
    guint32 flags, gint64 pts, gint64 dts, gint64 duration, guint64 aux,
    const void *payload, gsize length, gint timeout_ms);
gint gst_kvs_sink_write_json_record (GstKvsSink * self, guint16 type,
    guint16 track, GString * json);
void gst_kvs_sink_signal_pipe (gint fds[2]);
void gst_kvs_sink_drain_pipe (gint fds[2]);

/* gstkvssinkconfig.c: the config record */
void gst_kvs_sink_json_append_string (GString * out, const gchar * s);
GString *gst_kvs_sink_build_config_json (GstKvsSink * self, guint restarts);
gboolean gst_kvs_sink_check_properties (GstKvsSink * self);

G_END_DECLS

#endif /* __GST_KVS_SINK_PRIVATE_H__ */
