/* kvssink: the config record: the properties and tracks the worker gets with the ring, as JSON
 * SPDX-License-Identifier: Apache-2.0
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkvssink.h"
#include "gstkvssinkprivate.h"

void
gst_kvs_sink_json_append_string (GString * out, const gchar * s)
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

static void
append_property_json (GstKvsSink * self, GString * json, const KvsPropRow * row)
{
  const GValue *v = &self->props[row->id];

  gst_kvs_sink_json_append_string (json, row->name);
  g_string_append_c (json, ':');
  switch (row->type) {
    case KVS_PROP_STRING:
      gst_kvs_sink_json_append_string (json, g_value_get_string (v));
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
        gst_kvs_sink_json_append_string (json, text);
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
      gst_kvs_sink_pad_data (pad)->track, kind);
  gst_kvs_sink_json_append_string (json, GST_PAD_NAME (pad));
  if (caps) {
    gchar *text = gst_caps_to_string (caps);
    g_string_append (json, ",\"caps\":");
    gst_kvs_sink_json_append_string (json, text);
    g_free (text);
    gst_caps_unref (caps);
  }
  g_string_append_c (json, '}');
}

/* The config the worker gets with the ring: the properties, the tracks (with their
 * current caps once known: a restarted worker may find the caps records released),
 * and how many times the worker was restarted. */
GString *
gst_kvs_sink_build_config_json (GstKvsSink * self, guint restarts)
{
  GString *json = g_string_new ("{\"version\":2,\"element\":");
  gchar *name = gst_object_get_name (GST_OBJECT (self));
  GstPad *video = NULL, *audio = NULL;
  guint i;
  gboolean first = TRUE;

  gst_kvs_sink_json_append_string (json, name);
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

