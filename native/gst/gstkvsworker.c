/* kvssink: the worker process, one per pipeline process, shared by every kvssink element
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every kvssink element of a process hands its ring to one Node worker: the runtime
 * (and its ~40 MiB) is paid once, not once per stream. The worker gets each ring's
 * fds with SCM_RIGHTS on a SOCK_SEQPACKET control socket (its fd 3), together with
 * the element's config. A thread here notices when the worker dies (the control
 * socket hangs up), reaps it and starts a successor at once; each element then
 * renews its ring's wake-up sockets and attaches again. The rings outlive the worker
 * (the element holds the memfd), so nothing that was not yet persisted is lost.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstkvsworker.h"

#include <gst/gst.h>
#include <glib-unix.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Node.js when neither KVSSINK_NODE nor PATH has one (gst-inspect-1.0 and services
 * often run with no PATH): where the build found it, or the Debian nodejs package's. */
#ifndef KVSSINK_NODE_FALLBACK
#define KVSSINK_NODE_FALLBACK "/usr/bin/node"
#endif
/* Where an installed plugin finds the worker: relative to the plugin's own
 * directory, so a prefix or DESTDIR moves both together (CMakeLists.txt). */
#ifndef KVSSINK_WORKER_DIR_FROM_PLUGIN
#define KVSSINK_WORKER_DIR_FROM_PLUGIN "../../libexec/kvssink"
#endif
#define KVSSINK_WORKER_FILE "kvssink-worker.mjs"

GST_DEBUG_CATEGORY_EXTERN (gst_kvs_sink_debug);
#define GST_CAT_DEFAULT gst_kvs_sink_debug

/* The fd the worker finds its control socket on. */
#define WORKER_CONTROL_FD 3
#define WORKER_EXIT_WAIT_MS 3000
/* The last element stopped: the worker has nothing left to deliver. */
#define WORKER_STOP_WAIT_MS 1000

static GMutex worker_lock;
static GCond worker_cond;
static guint worker_users;
static GPid worker_pid;
static gint control_fd = -1;
static guint64 worker_generation;
static gboolean worker_failed;
static gboolean worker_stopping;
static gchar *last_exit;
static gint64 restart_times[KVS_WORKER_MAX_RESTARTS];
static guint restart_count;
static GThread *supervisor_thread;
static gint supervisor_stop[2] = { -1, -1 };

static gchar *
node_executable (void)
{
  const gchar *env = g_getenv ("KVSSINK_NODE");
  gchar *found;

  if (env && *env)
    return g_strdup (env);
  found = g_find_program_in_path ("node");
  if (found == NULL && g_file_test (KVSSINK_NODE_FALLBACK,
          G_FILE_TEST_IS_EXECUTABLE))
    found = g_strdup (KVSSINK_NODE_FALLBACK);
  return found;
}

/* The worker script: KVSSINK_WORKER_SCRIPT; else, for the plugin in the build tree,
 * the build tree's bundle; else the one installed relative to this plugin. The
 * build-time path serves only the plugin that is still in the build tree, so an
 * installed plugin never depends on where it was built. */
static gchar *
worker_script (void)
{
  const gchar *env = g_getenv ("KVSSINK_WORKER_SCRIPT");
  Dl_info info;
  gchar real_plugin[PATH_MAX];
  gchar *plugin_dir, *script;
#ifdef KVSSINK_BUILD_DIR
  gchar real_build_dir[PATH_MAX];
#endif

  if (env && *env)
    return g_strdup (env);
  /* The plugin's real path: GStreamer may load it through a symlinked directory
   * (merged /usr: /lib -> usr/lib), where the relative path would miss. */
  if (dladdr ((void *) worker_script, &info) == 0 || info.dli_fname == NULL
      || realpath (info.dli_fname, real_plugin) == NULL)
    return g_strdup (KVSSINK_WORKER_FILE);
  plugin_dir = g_path_get_dirname (real_plugin);
#ifdef KVSSINK_BUILD_DIR
  if (realpath (KVSSINK_BUILD_DIR, real_build_dir)
      && strcmp (plugin_dir, real_build_dir) == 0) {
    g_free (plugin_dir);
    return g_strdup (KVSSINK_BUILD_TREE_WORKER);
  }
#endif
  script = g_build_filename (plugin_dir, KVSSINK_WORKER_DIR_FROM_PLUGIN,
      KVSSINK_WORKER_FILE, NULL);
  g_free (plugin_dir);
  return script;
}

/* Called with worker_lock held. */
static gboolean
spawn_worker (GError ** error)
{
  gchar *node = node_executable ();
  gchar *script = worker_script ();
  gchar *argv[4];
  gchar **envp;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  gint pair[2], child_fd;
  pid_t pid;
  gint rc;

  if (node == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "Node.js was not found: install Node.js 20.18 or newer, or set "
        "KVSSINK_NODE to its path");
    g_free (script);
    return FALSE;
  }
  if (!g_file_test (script, G_FILE_TEST_EXISTS)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "The kvssink worker script %s does not exist: reinstall kvssink, "
        "build it (scripts/setup) or set KVSSINK_WORKER_SCRIPT", script);
    g_free (node);
    g_free (script);
    return FALSE;
  }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "Could not create the worker's control socket: %s", g_strerror (errno));
    g_free (node);
    g_free (script);
    return FALSE;
  }
  /* Above 9 and close-on-exec, so dup2 onto fd 3 clobbers nothing and no other
   * child inherits it. */
  child_fd = fcntl (pair[1], F_DUPFD_CLOEXEC, 10);
  close (pair[1]);

  argv[0] = node;
  /* Node's own warnings would land on the pipeline's stderr; the worker routes
   * them to the kvssink debug category instead. */
  argv[1] = (gchar *) "--no-warnings";
  argv[2] = script;
  argv[3] = NULL;
  envp = g_get_environ ();
  envp = g_environ_setenv (envp, "KVSSINK_CONTROL_FD", "3", TRUE);

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&actions, child_fd, WORKER_CONTROL_FD);
  posix_spawnattr_init (&attr);
  /* Its own session: Ctrl-C in the terminal goes to gst-launch, which sends EOS;
   * the worker must live on to upload what is buffered. */
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSID);
  rc = child_fd < 0 ? errno : posix_spawn (&pid, node, &actions, &attr, argv,
      envp);
  posix_spawn_file_actions_destroy (&actions);
  posix_spawnattr_destroy (&attr);
  g_strfreev (envp);
  if (child_fd >= 0)
    close (child_fd);

  if (rc != 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "Could not start the kvssink worker (%s %s): %s", node, script,
        g_strerror (rc));
    close (pair[0]);
    g_free (node);
    g_free (script);
    return FALSE;
  }
  GST_INFO ("worker started: pid %d (%s %s)", (gint) pid, node, script);
  g_free (node);
  g_free (script);
  worker_pid = pid;
  control_fd = pair[0];
  worker_generation++;
  return TRUE;
}

/* Waits for pid to exit (killing it when it does not in time); describes how it ended. */
static gchar *
reap (GPid pid, gint wait_ms)
{
  gint status = 0, waited = 0;
  gboolean killed = FALSE;

  for (;;) {
    pid_t rc = waitpid (pid, &status, WNOHANG);
    if (rc == pid)
      break;
    if (rc < 0)
      return g_strdup ("exit status unknown");
    if (waited >= wait_ms && !killed) {
      GST_WARNING ("worker %d did not exit; killing it", (gint) pid);
      kill (pid, SIGKILL);
      killed = TRUE;
    }
    g_usleep (10 * 1000);
    waited += 10;
  }
  if (WIFSIGNALED (status))
    return g_strdup_printf ("killed by signal %d", WTERMSIG (status));
  return g_strdup_printf ("exit status %d", WEXITSTATUS (status));
}

/* Called with worker_lock held: records a restart; FALSE once there were too many. */
static gboolean
allow_restart (void)
{
  gint64 now = g_get_monotonic_time ();
  gint64 window = (gint64) KVS_WORKER_RESTART_WINDOW_S * G_USEC_PER_SEC;
  guint i, recent = 0;

  restart_times[restart_count++ % KVS_WORKER_MAX_RESTARTS] = now;
  for (i = 0; i < MIN (restart_count, KVS_WORKER_MAX_RESTARTS); i++)
    if (now - restart_times[i] < window)
      recent++;
  return recent < KVS_WORKER_MAX_RESTARTS;
}

static guint
recent_restarts (void)
{
  gint64 now = g_get_monotonic_time ();
  gint64 window = (gint64) KVS_WORKER_RESTART_WINDOW_S * G_USEC_PER_SEC;
  guint i, recent = 0;
  for (i = 0; i < MIN (restart_count, KVS_WORKER_MAX_RESTARTS); i++)
    if (now - restart_times[i] < window)
      recent++;
  return recent;
}

static gpointer
supervisor_func (gpointer data)
{
  for (;;) {
    struct pollfd fds[2];
    gint fd, rc;
    GPid dead;
    gchar *how;
    GError *error = NULL;

    g_mutex_lock (&worker_lock);
    fd = control_fd;
    g_mutex_unlock (&worker_lock);
    fds[0].fd = fd;
    fds[0].events = POLLIN;
    fds[1].fd = supervisor_stop[0];
    fds[1].events = POLLIN;
    do {
      rc = poll (fds, 2, -1);
    } while (rc < 0 && errno == EINTR);
    if (fds[1].revents)
      break;
    if (fds[0].revents & POLLIN) {
      gchar buf[256];
      ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0 || (n < 0 && errno == EAGAIN))
        continue;               /* nothing the worker says here needs an answer */
    } else if (!(fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
      continue;
    }

    /* The worker is gone. */
    g_mutex_lock (&worker_lock);
    if (worker_stopping) {
      g_mutex_unlock (&worker_lock);
      break;
    }
    dead = worker_pid;
    worker_pid = 0;
    close (control_fd);
    control_fd = -1;
    g_mutex_unlock (&worker_lock);

    how = reap (dead, WORKER_EXIT_WAIT_MS);
    GST_WARNING ("worker %d stopped unexpectedly (%s)", (gint) dead, how);

    g_mutex_lock (&worker_lock);
    g_free (last_exit);
    last_exit = how;
    if (worker_stopping || worker_users == 0) {
      g_mutex_unlock (&worker_lock);
      break;
    }
    if (!allow_restart ()) {
      worker_failed = TRUE;
    } else if (!spawn_worker (&error)) {
      g_free (last_exit);
      last_exit = g_strdup_printf ("%s; %s", how, error->message);
      g_clear_error (&error);
      worker_failed = TRUE;
    }
    g_cond_broadcast (&worker_cond);
    if (worker_failed) {
      g_mutex_unlock (&worker_lock);
      break;
    }
    g_mutex_unlock (&worker_lock);
  }
  return NULL;
}

guint64
kvs_worker_acquire (GError ** error)
{
  guint64 generation;

  g_mutex_lock (&worker_lock);
  while (worker_stopping)
    g_cond_wait (&worker_cond, &worker_lock);
  if (worker_failed && worker_users == 0) {
    /* A new start after everyone gave up: try afresh. */
    worker_failed = FALSE;
    restart_count = 0;
    if (supervisor_thread) {
      g_mutex_unlock (&worker_lock);
      g_thread_join (supervisor_thread);
      g_mutex_lock (&worker_lock);
      supervisor_thread = NULL;
    }
  }
  if (worker_failed) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "The kvssink worker process keeps stopping (%s): not restarted again",
        last_exit ? last_exit : "unknown");
    g_mutex_unlock (&worker_lock);
    return 0;
  }
  if (worker_pid == 0) {
    if (!spawn_worker (error)) {
      g_mutex_unlock (&worker_lock);
      return 0;
    }
  }
  if (supervisor_thread == NULL) {
    if (supervisor_stop[0] < 0) {
      if (!g_unix_open_pipe (supervisor_stop, FD_CLOEXEC, NULL)) {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
            "pipe: %s", g_strerror (errno));
        g_mutex_unlock (&worker_lock);
        return 0;
      }
      g_unix_set_fd_nonblocking (supervisor_stop[0], TRUE, NULL);
    }
    supervisor_thread = g_thread_new ("kvssink-supervisor", supervisor_func,
        NULL);
  }
  worker_users++;
  generation = worker_generation;
  g_mutex_unlock (&worker_lock);
  return generation;
}

void
kvs_worker_release (void)
{
  GThread *thread;
  GPid pid;
  gchar *how = NULL;
  const gchar byte = 1;

  g_mutex_lock (&worker_lock);
  if (worker_users == 0 || --worker_users > 0) {
    g_mutex_unlock (&worker_lock);
    return;
  }
  /* The last element is gone: closing the control socket tells the worker to exit. */
  worker_stopping = TRUE;
  if (control_fd >= 0)
    close (control_fd);
  control_fd = -1;
  pid = worker_pid;
  worker_pid = 0;
  thread = supervisor_thread;
  supervisor_thread = NULL;
  if (thread && write (supervisor_stop[1], &byte, 1) < 0)
    GST_DEBUG ("supervisor stop pipe: %s", g_strerror (errno));
  g_mutex_unlock (&worker_lock);

  if (thread)
    g_thread_join (thread);
  if (pid > 0)
    how = reap (pid, WORKER_STOP_WAIT_MS);
  GST_INFO ("worker %d stopped (%s)", (gint) pid, how ? how : "not running");
  g_free (how);

  g_mutex_lock (&worker_lock);
  {
    gchar buf[16];
    while (read (supervisor_stop[0], buf, sizeof buf) > 0) {
    }
  }
  worker_stopping = FALSE;
  g_cond_broadcast (&worker_cond);
  g_mutex_unlock (&worker_lock);
}

gboolean
kvs_worker_attach (KvsRing * ring, const gchar * config_json, GError ** error)
{
  gint fds[3] = { kvs_ring_peer_memfd (ring),
    kvs_ring_peer_forward_sock (ring), kvs_ring_peer_back_sock (ring)
  };
  union
  {
    struct cmsghdr header;
    gchar space[CMSG_SPACE (sizeof fds)];
  } control;
  struct iovec iov = { (gpointer) config_json, strlen (config_json) };
  struct msghdr msg = { 0, };
  struct cmsghdr *cmsg;
  ssize_t sent;
  gint saved;

  memset (&control, 0, sizeof control);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof fds);
  memcpy (CMSG_DATA (cmsg), fds, sizeof fds);

  g_mutex_lock (&worker_lock);
  if (control_fd < 0) {
    g_mutex_unlock (&worker_lock);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "the kvssink worker is not running");
    return FALSE;
  }
  do {
    sent = sendmsg (control_fd, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  saved = errno;
  g_mutex_unlock (&worker_lock);
  if (sent < 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "could not hand the stream to the kvssink worker: %s",
        g_strerror (saved));
    return FALSE;
  }
  /* The worker has its own copies now (in flight until it reads them). */
  kvs_ring_close_peer_fds (ring);
  return TRUE;
}

KvsWorkerWait
kvs_worker_wait_restart (guint64 * generation, gint timeout_ms,
    gchar ** reason, guint * restarts)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  KvsWorkerWait result = KVS_WORKER_WAITING;

  g_mutex_lock (&worker_lock);
  /* A successor that died too is being replaced: wait for the next one. */
  while (!(worker_generation != *generation && control_fd >= 0)
      && !worker_failed)
    if (!g_cond_wait_until (&worker_cond, &worker_lock, deadline))
      break;
  if (worker_generation != *generation && control_fd >= 0) {
    *generation = worker_generation;
    result = KVS_WORKER_RESTARTED;
  } else if (worker_failed) {
    result = KVS_WORKER_FAILED;
  }
  if (result != KVS_WORKER_WAITING) {
    if (reason)
      *reason = g_strdup (last_exit ? last_exit : "exit status unknown");
    if (restarts)
      *restarts = recent_restarts ();
  }
  g_mutex_unlock (&worker_lock);
  return result;
}
