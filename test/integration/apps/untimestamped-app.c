/* Test app: encodes FRAMES frames of H.264, then pushes them into kvssink through appsrc,
 * in bursts of BURST frames with a pause in between, as an application that forwards frames
 * from a network or a file might. MODE "none": no timestamp at all (no PTS, DTS or duration).
 * MODE "backwards": 30 fps timestamps that start again from 0 at frame JUMP_AT (a key
 * frame), as when a source restarts. */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#define FRAMES 90
#define BURST 15
#define PAUSE_US (300 * 1000)
#define JUMP_AT 60

/* Waits for EOS or an error; prints warnings as they come ("WARNING: <text>"). */
static GstMessage *
run_to_end (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      GError *warning = NULL;
      gst_message_parse_warning (msg, &warning, NULL);
      g_print ("WARNING: %s\n", warning->message);
      g_clear_error (&warning);
      gst_message_unref (msg);
      continue;
    }
    break;
  }
  gst_object_unref (bus);
  return msg;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstElement *encode, *stream, *sink, *src;
  GstSample *samples[FRAMES];
  GstCaps *caps = NULL;
  GstMessage *msg;
  gchar *desc;
  int i, n = 0, rc = 1;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: %s STREAM_NAME none|backwards\n", argv[0]);
    return 2;
  }
  encode = gst_parse_launch ("videotestsrc num-buffers=90 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc bframes=0 key-int-max=30 ! "
      "video/x-h264,stream-format=avc,alignment=au ! "
      "appsink name=out sync=false", &error);
  if (!encode) {
    g_printerr ("parse: %s\n", error->message);
    return 2;
  }
  sink = gst_bin_get_by_name (GST_BIN (encode), "out");
  gst_element_set_state (encode, GST_STATE_PLAYING);
  while (n < FRAMES) {
    GstSample *s = gst_app_sink_pull_sample (GST_APP_SINK (sink));
    if (!s)
      break;
    samples[n++] = s;
  }
  caps = gst_caps_copy (gst_sample_get_caps (samples[0]));
  gst_element_set_state (encode, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (encode);

  desc = g_strdup_printf ("appsrc name=src format=time ! kvssink stream-name=%s "
      "access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      argv[1]);
  stream = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!stream) {
    g_printerr ("parse: %s\n", error->message);
    return 2;
  }
  src = gst_bin_get_by_name (GST_BIN (stream), "src");
  g_object_set (src, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_element_set_state (stream, GST_STATE_PLAYING);
  for (i = 0; i < n; i++) {
    GstBuffer *buffer = gst_buffer_copy (gst_sample_get_buffer (samples[i]));
    if (g_str_equal (argv[2], "backwards")) {
      gint frame = i < JUMP_AT ? i : i - JUMP_AT;
      GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) =
          gst_util_uint64_scale (frame, GST_SECOND, 30);
      GST_BUFFER_DURATION (buffer) = GST_SECOND / 30;
    } else {
      GST_BUFFER_PTS (buffer) = GST_CLOCK_TIME_NONE;
      GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
      GST_BUFFER_DURATION (buffer) = GST_CLOCK_TIME_NONE;
    }
    gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
    gst_sample_unref (samples[i]);
    if ((i + 1) % BURST == 0)
      g_usleep (PAUSE_US);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = run_to_end (stream);
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
  gst_object_unref (src);
  gst_element_set_state (stream, GST_STATE_NULL);
  gst_object_unref (stream);
  return rc;
}
