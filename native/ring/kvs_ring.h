/* kvssink shared-memory ring
 *
 * One implementation, compiled into both the GStreamer element (native/gst) and the
 * Node addon (native/addon). The wire format is written down in FORMAT.md beside this
 * file; bump KVS_RING_VERSION whenever it changes.
 *
 * A KvsRing is one shared-memory object (a memfd, mode 0600, never linked into
 * /dev/shm) holding two single-writer/single-reader rings:
 *   forward: element writes, worker reads (config, tracks, frames, metadata, EOS)
 *   back:    worker writes, element reads (ready, errors, acks, metrics, logs)
 * plus one socketpair per ring for wake-ups in both directions and for noticing that
 * the peer process is gone (POLLHUP).
 */

#ifndef KVS_RING_H
#define KVS_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVS_RING_MAGIC 0x5253564bu      /* "KVSR" little endian */
#define KVS_RING_VERSION 2u
#define KVS_RING_HEADER_BYTES 4096u
#define KVS_RING_ALIGN 8u
#define KVS_RING_RECORD_HEADER_BYTES 48u
/* Bytes of the header page the worker owns, kept across worker restarts. */
#define KVS_RING_WORKER_STATE_OFFSET 1024u
#define KVS_RING_WORKER_STATE_BYTES 1024u

/* Record types, element -> worker */
#define KVS_RING_REC_PAD 0u
#define KVS_RING_REC_CONFIG 1u
#define KVS_RING_REC_TRACK 2u
#define KVS_RING_REC_FRAME 3u
#define KVS_RING_REC_METADATA 4u
#define KVS_RING_REC_EOS 5u
#define KVS_RING_REC_FLUSH 6u
#define KVS_RING_REC_SHUTDOWN 7u
#define KVS_RING_REC_DROPPED_AT_ELEMENT 8u
/* Record types, worker -> element */
#define KVS_RING_REC_READY 64u
#define KVS_RING_REC_STREAM_ERROR 65u
#define KVS_RING_REC_FRAGMENT_ACK 66u
#define KVS_RING_REC_METRICS 67u
#define KVS_RING_REC_STREAM_CLOSED 68u
#define KVS_RING_REC_LOG 69u
#define KVS_RING_REC_WARNING 70u
#define KVS_RING_REC_DROPPED 71u
#define KVS_RING_REC_MESSAGE 72u

/* Frame flags */
#define KVS_RING_FRAME_KEY (1u << 0)
#define KVS_RING_FRAME_DISCONT (1u << 1)
#define KVS_RING_FRAME_HEADER (1u << 2)
#define KVS_RING_FRAME_CORRUPTED (1u << 3)
#define KVS_RING_FRAME_DECODE_ONLY (1u << 4)
#define KVS_RING_FRAME_GAP (1u << 5)

/* "No timestamp" in pts/dts/duration: GST_CLOCK_TIME_NONE as a signed value */
#define KVS_RING_TIME_NONE (-1)

/* Return codes */
#define KVS_RING_OK 0
#define KVS_RING_E_FULL -1          /* not enough space (non-blocking write) */
#define KVS_RING_E_EMPTY -2         /* nothing to read */
#define KVS_RING_E_TIMEOUT -3
#define KVS_RING_E_HANGUP -4        /* the peer process closed its end */
#define KVS_RING_E_CANCELLED -5     /* the cancel fd became readable */
#define KVS_RING_E_TOO_LARGE -6     /* record can never fit */
#define KVS_RING_E_MAGIC -7
#define KVS_RING_E_VERSION -8
#define KVS_RING_E_SYS -9           /* errno holds the cause */
#define KVS_RING_E_CORRUPT -10      /* a record header makes no sense */
#define KVS_RING_E_INVALID -11

typedef enum
{
  KVS_RING_FORWARD = 0,
  KVS_RING_BACK = 1
} KvsRingDirection;

/* What a side is: the element writes forward and reads back; the worker the reverse. */
typedef enum
{
  KVS_RING_ROLE_ELEMENT = 0,
  KVS_RING_ROLE_WORKER = 1
} KvsRingRole;

/* Record header as it lies in shared memory (little endian, 8-byte aligned). */
typedef struct
{
  uint32_t size;                /* whole record incl. header and padding, multiple of 8 */
  uint16_t type;
  uint16_t track;
  uint32_t flags;
  uint32_t length;              /* payload bytes following the header */
  int64_t pts;                  /* ns, or KVS_RING_TIME_NONE */
  int64_t dts;                  /* ns, or KVS_RING_TIME_NONE */
  int64_t duration;             /* ns, or KVS_RING_TIME_NONE */
  uint64_t aux;                 /* frame: CLOCK_MONOTONIC ns when the element got it; else type-specific */
} KvsRingRecordHeader;

/* A record read from a ring: header copy + pointer to the payload in shared memory. */
typedef struct
{
  KvsRingRecordHeader header;
  const uint8_t *payload;
  uint64_t position;            /* stream position of the record start */
  uint64_t next;                /* stream position just past it */
} KvsRingRecord;

typedef struct KvsRing KvsRing;

/* Creates the shared memory (element side). Capacities are rounded up to pages. */
int kvs_ring_create (uint64_t forward_capacity, uint64_t back_capacity,
    KvsRing ** out);

/* Maps a ring created by the peer. fds: memfd, forward socket, back socket. */
int kvs_ring_attach (int memfd, int forward_sock, int back_sock,
    KvsRingRole role, KvsRing ** out);

/* fds to hand to the peer process (valid until kvs_ring_close_peer_fds). */
int kvs_ring_peer_memfd (const KvsRing * ring);
int kvs_ring_peer_forward_sock (const KvsRing * ring);
int kvs_ring_peer_back_sock (const KvsRing * ring);
/* The creator closes its copies of the peer's fds once the peer has them. */
void kvs_ring_close_peer_fds (KvsRing * ring);

void kvs_ring_free (KvsRing * ring);

/* Writes one record to the ring this side writes. payload may be split in parts.
 * timeout_ms: 0 = fail at once with KVS_RING_E_FULL, <0 = wait until space, hangup
 * or cancel. cancel_fd: -1 or an fd that becomes readable to abort the wait. */
int kvs_ring_write (KvsRing * ring, const KvsRingRecordHeader * header,
    const void *const *parts, const size_t * part_lengths, size_t n_parts,
    int timeout_ms, int cancel_fd);

/* Reads the record at this side's read cursor and advances the cursor. */
int kvs_ring_read (KvsRing * ring, KvsRingRecord * out);

/* Waits until a record is readable (KVS_RING_OK), or timeout/hangup/cancel. */
int kvs_ring_wait_readable (KvsRing * ring, int timeout_ms, int cancel_fd);

/* Event-loop waiting, for readers that poll kvs_ring_read_fd themselves:
 * arm_reader returns 1 when a record is readable now; otherwise it asks the
 * writer for a wake-up and returns 0. When the fd is readable, take_wakeups
 * consumes the wake-ups (KVS_RING_E_HANGUP once the peer is gone). */
int kvs_ring_arm_reader (KvsRing * ring);
void kvs_ring_disarm_reader (KvsRing * ring);
int kvs_ring_take_wakeups (KvsRing * ring);
int kvs_ring_read_fd (const KvsRing * ring);

/* Creator: new wake-up sockets and fresh copies of the peer's fds, for a new
 * peer process after the old one died. The content and positions stay. */
int kvs_ring_renew_peer (KvsRing * ring);

/* KVS_RING_WORKER_STATE_BYTES the worker keeps in the header page (see FORMAT.md). */
uint8_t *kvs_ring_worker_state (const KvsRing * ring);

/* Reader: frees everything before position (records before it may be overwritten). */
int kvs_ring_release (KvsRing * ring, uint64_t position);
/* Reader: moves the read cursor to a record start in [released, written]. */
int kvs_ring_seek (KvsRing * ring, uint64_t position);

uint64_t kvs_ring_read_position (const KvsRing * ring);
uint64_t kvs_ring_released_position (const KvsRing * ring);
uint64_t kvs_ring_written_position (const KvsRing * ring, KvsRingDirection dir);
uint64_t kvs_ring_capacity (const KvsRing * ring, KvsRingDirection dir);
/* Largest payload a single record can carry on the given ring. */
uint64_t kvs_ring_max_payload (const KvsRing * ring, KvsRingDirection dir);

/* Base address and size of a ring's data region (the addon exposes it as one buffer). */
uint8_t *kvs_ring_data (const KvsRing * ring, KvsRingDirection dir);

const char *kvs_ring_strerror (int code);

#ifdef __cplusplus
}
#endif

#endif /* KVS_RING_H */
