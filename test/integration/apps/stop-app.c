/* Test app: streams live H.264 into kvssink for SECONDS, then sets the pipeline to NULL
 * without EOS, as an application that is told to quit does. Prints how long the state
 * change took ("stop-ms=N"), how many worker processes are still its children
 * ("children=N"), and the warnings and errors posted on the bus ("WARNING: text"). */
#include <gst/gst.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Counts the processes whose parent is this one, spawned from any of its threads. */
static int
count_children (void)
{
  DIR *tasks = opendir ("/proc/self/task");
  struct dirent *task;
  int count = 0;

  if (!tasks)
    return -1;
  while ((task = readdir (tasks))) {
    gchar *path, *text = NULL;
    if (task->d_name[0] == '.')
      continue;
    path = g_strdup_printf ("/proc/self/task/%s/children", task->d_name);
    if (g_file_get_contents (path, &text, NULL, NULL)) {
      gchar **pids = g_strsplit_set (g_strstrip (text), " ", -1);
      for (gchar ** p = pids; *p; p++)
        if (**p)
          count++;
      g_strfreev (pids);
    }
    g_free (text);
    g_free (path);
  }
  closedir (tasks);
  return count;
}

/* Prints warnings and errors as they are posted: a pipeline going to NULL flushes its
 * bus, so what is posted during the state change would not be there afterwards. */
static GstBusSyncReply
print_problems (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GError *problem = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
    gst_message_parse_warning (msg, &problem, NULL);
  else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &problem, NULL);
  if (problem) {
    g_print ("%s: %s\n", GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING ?
        "WARNING" : "ERROR", problem->message);
    g_clear_error (&problem);
  }
  return GST_BUS_PASS;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstElement *pipeline;
  GstBus *bus;
  gint64 start;
  gchar *desc;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: %s STREAM_NAME SECONDS\n", argv[0]);
    return 2;
  }
  desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=30 ! "
      "video/x-h264,stream-format=avc,alignment=au ! kvssink stream-name=%s "
      "access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      argv[1]);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("parse: %s\n", error->message);
    return 2;
  }
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, print_problems, NULL, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start\n");
    return 1;
  }
  g_usleep ((gulong) (atof (argv[2]) * G_USEC_PER_SEC));

  start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_print ("stop-ms=%" G_GINT64_FORMAT "\n", (g_get_monotonic_time () - start) / 1000);
  g_print ("children=%d\n", count_children ());

  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return 0;
}
