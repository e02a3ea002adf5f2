/* kvssink: the worker process, one per pipeline process, shared by every kvssink element
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef __GST_KVS_WORKER_H__
#define __GST_KVS_WORKER_H__

#include <glib.h>

#include "../ring/kvs_ring.h"

G_BEGIN_DECLS

/* After this many unexpected exits within KVS_WORKER_RESTART_WINDOW_S, the worker is
 * not started again and every element gets an error. */
#define KVS_WORKER_MAX_RESTARTS 5
#define KVS_WORKER_RESTART_WINDOW_S 60

typedef enum
{
  KVS_WORKER_RESTARTED,         /* a new worker runs: renew the ring and attach again */
  KVS_WORKER_FAILED,            /* it keeps dying: give up */
  KVS_WORKER_WAITING            /* timed out; nothing changed yet */
} KvsWorkerWait;

/* Takes a reference on the process's worker, starting it when none runs.
 * Returns its generation (> 0), or 0 with error set. */
guint64 kvs_worker_acquire (GError ** error);

/* Drops the reference; the last one stops the worker (bounded wait, then kill). */
void kvs_worker_release (void);

/* Hands a ring to the worker: config_json and the ring's peer fds travel in one
 * message on the control socket; the peer fds are closed here afterwards. */
gboolean kvs_worker_attach (KvsRing * ring, const gchar * config_json,
    GError ** error);

/* After the worker of `generation` went away: waits up to timeout_ms for its
 * successor. On RESTARTED, *generation is the new one; *reason (free it) says how
 * the old one ended, *restarts how many restarts the window holds. */
KvsWorkerWait kvs_worker_wait_restart (guint64 * generation, gint timeout_ms,
    gchar ** reason, guint * restarts);

G_END_DECLS

#endif /* __GST_KVS_WORKER_H__ */
