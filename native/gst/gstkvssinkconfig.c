/* kvssink: the config record: the properties and tracks the worker gets with the ring, as JSON
 * SPDX-License-Identifier: Apache-2.0
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkvssink.h"
#include "gstkvssinkprivate.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_kvs_sink_debug

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

/* ---------------------------------------------------------------- validation */

/* The guide's defragmentation factor for sizing a content store ("+ ~20%"). */
#define STORE_SIZING_FACTOR 1.2

/* The schema puts the unit at the end of the blurb (", in seconds (0: the default)"). */
static const gchar *
unit_suffix (const gchar * blurb)
{
  static GHashTable *units;
  static GMutex lock;
  const gchar *in = g_strrstr (blurb, ", in ");
  const gchar *unit;

  if (in == NULL)
    return "";
  g_mutex_lock (&lock);
  if (units == NULL)
    units = g_hash_table_new (g_str_hash, g_str_equal);
  unit = g_hash_table_lookup (units, blurb);
  if (unit == NULL) {
    unit = g_strndup (in + 5, strcspn (in + 5, ";("));
    g_strchomp ((gchar *) unit);
    /* Blurbs are static strings: one unit each, kept for the process's life. */
    g_hash_table_insert (units, (gpointer) blurb, (gpointer) unit);
  }
  g_mutex_unlock (&lock);
  return unit;
}

static gboolean
key_listed (const gchar * list, const gchar * key)
{
  gchar **keys = g_strsplit (list, ",", -1);
  gboolean found = g_strv_contains ((const gchar * const *) keys, key);
  g_strfreev (keys);
  return found;
}

static void
post_invalid (GstKvsSink * self, const KvsPropRow * row, const gchar * shown,
    const gchar * allowed)
{
  GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
      ("Invalid value %s for property \"%s\": %s, because %s.", shown,
          row->name, allowed, row->limit ? row->limit : "of its type"),
      ("property %s refused at NULL->READY", row->name),
      ("code", G_TYPE_STRING, "INVALID_PROPERTY", "property", G_TYPE_STRING,
          row->name, NULL));
}

static gboolean
check_uint (GstKvsSink * self, const KvsPropRow * row, guint value)
{
  gchar *shown, *allowed;

  if (value >= row->min && value <= row->max)
    return TRUE;
  shown = g_strdup_printf ("%u", value);
  allowed = row->max == G_MAXUINT ?
      g_strdup_printf ("it must be at least %" G_GUINT64_FORMAT " %s",
      row->min, unit_suffix (row->blurb)) :
      g_strdup_printf ("allowed are %" G_GUINT64_FORMAT " to %"
      G_GUINT64_FORMAT " %s", row->min, row->max, unit_suffix (row->blurb));
  post_invalid (self, row, shown, allowed);
  g_free (shown);
  g_free (allowed);
  return FALSE;
}

static gboolean
check_uint64 (GstKvsSink * self, const KvsPropRow * row, guint64 value)
{
  gchar *shown, *allowed;

  if (value >= row->min && value <= row->max)
    return TRUE;
  shown = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  allowed = g_strdup_printf ("allowed are %" G_GUINT64_FORMAT " to %"
      G_GUINT64_FORMAT " %s", row->min, row->max, unit_suffix (row->blurb));
  post_invalid (self, row, shown, allowed);
  g_free (shown);
  g_free (allowed);
  return FALSE;
}

static gboolean
check_string (GstKvsSink * self, const KvsPropRow * row, const gchar * value)
{
  gsize length;
  gchar *shown, *allowed;
  gboolean ok;

  if (value == NULL || *value == '\0') {
    if (row->required) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
          ("Property \"%s\" is required and not set: %s.", row->name,
              row->required), (NULL),
          ("code", G_TYPE_STRING, "MISSING_PROPERTY", "property",
              G_TYPE_STRING, row->name, NULL));
      return FALSE;
    }
    if (value == NULL)
      return TRUE;
  }
  length = g_utf8_strlen (value, -1);
  ok = length >= row->min_length
      && (row->max_length == 0 || length <= row->max_length)
      && (row->charset == NULL || value[strspn (value, row->charset)] == '\0');
  if (ok)
    return TRUE;
  /* Never echo a secret, not even a wrong one. */
  shown = row->secret ? g_strdup_printf ("(%" G_GSIZE_FORMAT
      " characters, not shown)", length) : g_strdup_printf ("\"%s\"", value);
  if (row->charset)
    allowed = g_strdup_printf ("allowed are %u to %u characters of [%s]",
        row->min_length, row->max_length, row->charset_text);
  else if (row->min_length > 0)
    allowed = g_strdup_printf ("allowed are %u to %u characters",
        row->min_length, row->max_length);
  else
    allowed = g_strdup_printf ("allowed are at most %u characters",
        row->max_length);
  post_invalid (self, row, shown, allowed);
  g_free (shown);
  g_free (allowed);
  return FALSE;
}

typedef struct
{
  GstKvsSink *self;
  const KvsPropRow *row;
  gchar *problem;
} FieldCheck;

static gboolean
check_field (GQuark field, const GValue * value, gpointer data)
{
  FieldCheck *check = data;
  const KvsPropRow *row = check->row;
  const gchar *key = g_quark_to_string (field);

  if (!G_VALUE_HOLDS_STRING (value))
    check->problem = g_strdup_printf ("field \"%s\" is a %s, not a string "
        "(quote it: %s=\"...\")", key, G_VALUE_TYPE_NAME (value), key);
  else if (row->allowed_keys && !key_listed (row->allowed_keys, key))
    check->problem = g_strdup_printf ("field \"%s\" is not one of %s", key,
        row->allowed_keys);
  else if (row->max_key_length && strlen (key) > row->max_key_length)
    check->problem = g_strdup_printf ("name \"%s\" is longer than %u "
        "characters", key, row->max_key_length);
  else if (row->max_value_length
      && g_utf8_strlen (g_value_get_string (value), -1) > row->max_value_length)
    check->problem = g_strdup_printf ("the value of \"%s\" is longer than %u "
        "characters", key, row->max_value_length);
  return check->problem == NULL;
}

static gboolean
check_structure (GstKvsSink * self, const KvsPropRow * row,
    const GstStructure * s)
{
  FieldCheck check = { self, row, NULL };
  gchar *shown;

  if (s == NULL)
    return TRUE;
  if (row->max_fields && (guint) gst_structure_n_fields (s) > row->max_fields)
    check.problem = g_strdup_printf ("it has %d fields, more than %u",
        gst_structure_n_fields (s), row->max_fields);
  else
    gst_structure_foreach (s, check_field, &check);
  if (check.problem == NULL && row->required_keys) {
    gchar **keys = g_strsplit (row->required_keys, ",", -1);
    gchar **k;
    for (k = keys; *k && check.problem == NULL; k++)
      if (!gst_structure_has_field (s, *k))
        check.problem = g_strdup_printf ("field \"%s\" is missing", *k);
    g_strfreev (keys);
  }
  if (check.problem == NULL)
    return TRUE;
  shown = gst_structure_to_string (s);
  GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
      ("Invalid value for property \"%s\": %s, because %s.", row->name,
          check.problem, row->limit), ("value: %s", row->secret ? "" : shown),
      ("code", G_TYPE_STRING, "INVALID_PROPERTY", "property", G_TYPE_STRING,
          row->name, NULL));
  g_free (shown);
  g_free (check.problem);
  return FALSE;
}

static gboolean
is_default (GstKvsSink * self, const GValue * props, guint prop_id)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self),
      kvs_prop_rows[prop_id - 1].name);
  return g_param_value_defaults (pspec, (GValue *) & props[prop_id]);
}

/* Rules the guide gives between properties, and values it replaces; these warn. */
static void
warn_replaced_values (GstKvsSink * self, const GValue * props)
{
  guint buffer_s = g_value_get_uint (&props[PROP_BUFFER_DURATION]);
  guint replay_s = g_value_get_uint (&props[PROP_REPLAY_DURATION]);
  guint storage_mb = g_value_get_uint (&props[PROP_STORAGE_SIZE]);
  guint bandwidth = g_value_get_uint (&props[PROP_AVG_BANDWIDTH_BPS]);
  guint framerate = g_value_get_uint (&props[PROP_FRAMERATE]);
  guint connection_s = g_value_get_uint (&props[PROP_CONNECTION_TIMEOUT]);
  guint completion_s = g_value_get_uint (&props[PROP_COMPLETION_TIMEOUT]);
  gdouble needed_mb;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (kvs_prop_rows); i++) {
    const KvsPropRow *row = &kvs_prop_rows[i];
    if (row->zero_means_default && g_value_get_uint (&props[row->id]) == 0)
      GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
          ("Property \"%s\" is 0, which means the default: %" G_GUINT64_FORMAT
              " %s is used (%s).", row->name, row->default_number,
              unit_suffix (row->blurb), row->limit), (NULL),
          ("code", G_TYPE_STRING, "DEFAULT_USED", "property", G_TYPE_STRING,
              row->name, NULL));
  }
  if (replay_s > buffer_s)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("Property \"replay-duration\" (%u s) is longer than \"buffer-duration\" "
            "(%u s): %u s is used, since the guide says replay-duration should be "
            "less than the buffer duration, otherwise the buffer duration is used.",
            replay_s, buffer_s, buffer_s), (NULL),
        ("code", G_TYPE_STRING, "DEFAULT_USED", "property", G_TYPE_STRING,
            "replay-duration", NULL));

  if (connection_s > 0 && completion_s > 0 && completion_s <= connection_s)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("Property \"completion-timeout\" (%u s) is not more than "
            "\"connection-timeout\" (%u s): the defaults (%u s and %u s) are used "
            "instead, as the official element does.", completion_s, connection_s,
            (guint) kvs_prop_rows[PROP_CONNECTION_TIMEOUT - 1].default_number,
            (guint) kvs_prop_rows[PROP_COMPLETION_TIMEOUT - 1].default_number),
        (NULL), ("code", G_TYPE_STRING, "DEFAULT_USED", "property", G_TYPE_STRING,
            "completion-timeout", NULL));

  /* The guide's sizing: the store should hold buffer-duration of the expected
   * bandwidth, +20% for defragmentation. The defaults (the official element's) do
   * not satisfy it, so only a sizing the user chose is checked. */
  if (is_default (self, props, PROP_AVG_BANDWIDTH_BPS)
      && is_default (self, props, PROP_BUFFER_DURATION)
      && is_default (self, props, PROP_STORAGE_SIZE)
      && is_default (self, props, PROP_FRAMERATE))
    return;
  needed_mb = (gdouble) bandwidth * buffer_s * STORE_SIZING_FACTOR / (1024.0 * 1024.0);
  if (needed_mb > storage_mb)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("\"storage-size\" (%u MB) is smaller than the %.0f MB that "
            "\"buffer-duration\" (%u s) needs at \"avg-bandwidth-bps\" (%u bytes/s, "
            "about %u bytes per frame at framerate %u) plus 20%%: frames will be "
            "dropped once the upload falls %.0f s behind. Raise storage-size, or "
            "lower buffer-duration.", storage_mb, needed_mb, buffer_s,
            bandwidth, framerate ? bandwidth / framerate : bandwidth,
            framerate ? framerate : 25,
            storage_mb / (needed_mb / buffer_s)), (NULL),
        ("code", G_TYPE_STRING, "STORAGE_TOO_SMALL", "property", G_TYPE_STRING,
            "storage-size", "needed-mb", G_TYPE_DOUBLE, needed_mb, NULL));
}

/* Called at NULL->READY: a value outside the guide's limits fails the state change
 * with an error that names the property, the value, what is allowed and why. */
gboolean
gst_kvs_sink_check_properties (GstKvsSink * self)
{
  GValue props[N_PROPS] = { G_VALUE_INIT, };
  gboolean ok = TRUE;
  guint i;

  /* A snapshot: posting a message takes the object lock. */
  GST_OBJECT_LOCK (self);
  for (i = 1; i < N_PROPS; i++) {
    g_value_init (&props[i], G_VALUE_TYPE (&self->props[i]));
    g_value_copy (&self->props[i], &props[i]);
  }
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < G_N_ELEMENTS (kvs_prop_rows) && ok; i++) {
    const KvsPropRow *row = &kvs_prop_rows[i];
    const GValue *v = &props[row->id];
    switch (row->type) {
      case KVS_PROP_UINT:
        ok = check_uint (self, row, g_value_get_uint (v));
        break;
      case KVS_PROP_UINT64:
        ok = check_uint64 (self, row, g_value_get_uint64 (v));
        break;
      case KVS_PROP_STRING:
        ok = check_string (self, row, g_value_get_string (v));
        break;
      case KVS_PROP_STRUCTURE:
        ok = check_structure (self, row, gst_value_get_structure (v));
        break;
      default:
        break;
    }
  }
  if (ok)
    warn_replaced_values (self, props);
  for (i = 1; i < N_PROPS; i++)
    g_value_unset (&props[i]);
  return ok;
}
