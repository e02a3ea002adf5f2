/* Test app: streams 90 frames through kvssink and, after the first buffers, sends the
 * official "kvs-add-metadata" custom event (fields name, value, persist) to its pad. */
#include <gst/gst.h>

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  static guint count;
  if (++count == 10) {
    GstStructure *s = gst_structure_new ("kvs-add-metadata",
        "name", G_TYPE_STRING, "camera-zone",
        "value", G_TYPE_STRING, "loading-dock",
        "persist", G_TYPE_BOOLEAN, FALSE, NULL);
    gst_pad_push_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  }
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstElement *pipeline, *enc;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  int rc = 1;

  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: %s STREAM_NAME\n", argv[0]);
    return 2;
  }
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc name=enc bframes=0 key-int-max=30 ! "
      "video/x-h264,stream-format=avc,alignment=au ! kvssink stream-name=%s "
      "access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      argv[1]);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("parse: %s\n", error->message);
    return 2;
  }
  enc = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  pad = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (enc);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    rc = 0;
  } else if (msg) {
    gst_message_parse_error (msg, &error, NULL);
    g_printerr ("error: %s\n", error->message);
  } else {
    g_printerr ("timeout\n");
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return rc;
}
