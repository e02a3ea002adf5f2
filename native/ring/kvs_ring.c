/* kvssink shared-memory ring: see kvs_ring.h and FORMAT.md */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "kvs_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* Control block of one direction. Writer and reader fields sit on separate cache
 * lines so the two processes don't bounce one line between cores. */
typedef struct
{
  _Atomic uint64_t write_pos;   /* bytes ever written: owned by the writer */
  uint8_t pad0[56];
  _Atomic uint64_t release_pos; /* bytes ever released: owned by the reader */
  uint8_t pad1[56];
  _Atomic uint32_t reader_waiting;
  _Atomic uint32_t writer_waiting;
  uint8_t pad2[56];
} KvsRingControl;

typedef struct
{
  uint32_t magic;
  uint32_t version;
  uint32_t header_bytes;
  uint32_t record_header_bytes;
  uint64_t data_offset[2];
  uint64_t capacity[2];
  uint8_t pad[16];
  KvsRingControl control[2];    /* at offset 64 */
} KvsRingShared;

_Static_assert (sizeof (KvsRingRecordHeader) == KVS_RING_RECORD_HEADER_BYTES,
    "record header layout");
_Static_assert (sizeof (KvsRingShared) <= KVS_RING_WORKER_STATE_OFFSET,
    "shared header leaves room for the worker state");
_Static_assert (KVS_RING_WORKER_STATE_OFFSET + KVS_RING_WORKER_STATE_BYTES <=
    KVS_RING_HEADER_BYTES, "worker state fits the header page");

struct KvsRing
{
  KvsRingRole role;
  int memfd;
  size_t map_bytes;
  KvsRingShared *shared;
  uint8_t *data[2];
  /* This side's ends of the wake-up socketpairs, one per direction. */
  int sock[2];
  /* The peer's ends (creator only, until handed over). */
  int peer_sock[2];
  int peer_memfd;
  /* Private read cursor of the direction this side reads. */
  uint64_t read_pos;
};

static KvsRingDirection
write_direction (const KvsRing * ring)
{
  return ring->role == KVS_RING_ROLE_ELEMENT ? KVS_RING_FORWARD : KVS_RING_BACK;
}

static KvsRingDirection
read_direction (const KvsRing * ring)
{
  return ring->role == KVS_RING_ROLE_ELEMENT ? KVS_RING_BACK : KVS_RING_FORWARD;
}

static uint64_t
round_up (uint64_t value, uint64_t to)
{
  return (value + to - 1) / to * to;
}

static int
monotonic_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int) (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Tells the other side something changed. A full socket buffer already holds a
 * wake-up, so EAGAIN is fine. */
static void
wake (int sock)
{
  const uint8_t byte = 1;
  ssize_t rc;
  do {
    rc = send (sock, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (rc < 0 && errno == EINTR);
}

/* Consumes pending wake-up bytes. Returns 0, or -1 when the peer has closed its end. */
static int
drain_wakeups (int sock)
{
  uint8_t buf[64];
  ssize_t n;
  while ((n = recv (sock, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
  }
  return n == 0 ? -1 : 0;
}

/* Waits for a wake-up byte on sock. Returns OK, TIMEOUT, HANGUP or CANCELLED. */
static int
wait_on (int sock, int timeout_ms, int cancel_fd)
{
  struct pollfd fds[2];
  nfds_t n = 1;
  int rc;

  fds[0].fd = sock;
  fds[0].events = POLLIN;
  fds[0].revents = 0;
  if (cancel_fd >= 0) {
    fds[1].fd = cancel_fd;
    fds[1].events = POLLIN;
    fds[1].revents = 0;
    n = 2;
  }
  do {
    rc = poll (fds, n, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0)
    return KVS_RING_E_SYS;
  if (rc == 0)
    return KVS_RING_E_TIMEOUT;
  if (n == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
    return KVS_RING_E_CANCELLED;
  if (fds[0].revents & POLLIN)
    return drain_wakeups (sock) == 0 ? KVS_RING_OK : KVS_RING_E_HANGUP;
  if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
    return KVS_RING_E_HANGUP;
  return KVS_RING_OK;
}

static int
map_shared (KvsRing * ring, int memfd, size_t bytes)
{
  void *base = mmap (NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (base == MAP_FAILED)
    return KVS_RING_E_SYS;
  ring->shared = (KvsRingShared *) base;
  ring->map_bytes = bytes;
  return KVS_RING_OK;
}

int
kvs_ring_create (uint64_t forward_capacity, uint64_t back_capacity,
    KvsRing ** out)
{
  KvsRing *ring;
  long page = sysconf (_SC_PAGESIZE);
  uint64_t fwd = round_up (forward_capacity, (uint64_t) page);
  uint64_t back = round_up (back_capacity, (uint64_t) page);
  uint64_t total = KVS_RING_HEADER_BYTES + fwd + back;
  int pair[2][2];
  int rc, d;

  if (fwd < 2 * KVS_RING_RECORD_HEADER_BYTES
      || back < 2 * KVS_RING_RECORD_HEADER_BYTES || total > SIZE_MAX)
    return KVS_RING_E_INVALID;

  ring = calloc (1, sizeof *ring);
  if (!ring)
    return KVS_RING_E_SYS;
  ring->role = KVS_RING_ROLE_ELEMENT;
  ring->memfd = ring->peer_memfd = -1;
  ring->sock[0] = ring->sock[1] = ring->peer_sock[0] = ring->peer_sock[1] = -1;

  /* memfd: anonymous, never visible in /dev/shm, gone with its last fd. */
  ring->memfd = memfd_create ("kvssink-ring", MFD_CLOEXEC);
  if (ring->memfd < 0 || ftruncate (ring->memfd, (off_t) total) != 0)
    goto sys_error;
  rc = map_shared (ring, ring->memfd, (size_t) total);
  if (rc != KVS_RING_OK)
    goto sys_error;

  for (d = 0; d < 2; d++) {
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
            pair[d]) != 0)
      goto sys_error;
    ring->sock[d] = pair[d][0];
    /* Peer fds sit above 9 and are close-on-exec: whoever spawns the peer dup2()s
     * them onto 3, 4 and 5 without clobbering, and no other process inherits them. */
    ring->peer_sock[d] = fcntl (pair[d][1], F_DUPFD_CLOEXEC, 10);
    close (pair[d][1]);
    if (ring->peer_sock[d] < 0)
      goto sys_error;
  }
  ring->peer_memfd = fcntl (ring->memfd, F_DUPFD_CLOEXEC, 10);
  if (ring->peer_memfd < 0)
    goto sys_error;

  ring->shared->magic = KVS_RING_MAGIC;
  ring->shared->version = KVS_RING_VERSION;
  ring->shared->header_bytes = KVS_RING_HEADER_BYTES;
  ring->shared->record_header_bytes = KVS_RING_RECORD_HEADER_BYTES;
  ring->shared->data_offset[KVS_RING_FORWARD] = KVS_RING_HEADER_BYTES;
  ring->shared->capacity[KVS_RING_FORWARD] = fwd;
  ring->shared->data_offset[KVS_RING_BACK] = KVS_RING_HEADER_BYTES + fwd;
  ring->shared->capacity[KVS_RING_BACK] = back;
  ring->data[KVS_RING_FORWARD] = (uint8_t *) ring->shared + KVS_RING_HEADER_BYTES;
  ring->data[KVS_RING_BACK] =
      (uint8_t *) ring->shared + KVS_RING_HEADER_BYTES + fwd;
  *out = ring;
  return KVS_RING_OK;

sys_error:
  {
    int saved = errno;
    kvs_ring_free (ring);
    errno = saved;
  }
  return KVS_RING_E_SYS;
}

int
kvs_ring_attach (int memfd, int forward_sock, int back_sock, KvsRingRole role,
    KvsRing ** out)
{
  KvsRing *ring;
  KvsRingShared probe;
  uint64_t total;
  int rc;

  if (pread (memfd, &probe, sizeof probe, 0) != (ssize_t) sizeof probe)
    return KVS_RING_E_SYS;
  if (probe.magic != KVS_RING_MAGIC)
    return KVS_RING_E_MAGIC;
  if (probe.version != KVS_RING_VERSION
      || probe.record_header_bytes != KVS_RING_RECORD_HEADER_BYTES
      || probe.header_bytes != KVS_RING_HEADER_BYTES)
    return KVS_RING_E_VERSION;
  total = KVS_RING_HEADER_BYTES + probe.capacity[0] + probe.capacity[1];

  ring = calloc (1, sizeof *ring);
  if (!ring)
    return KVS_RING_E_SYS;
  ring->role = role;
  ring->memfd = memfd;
  ring->peer_memfd = -1;
  ring->peer_sock[0] = ring->peer_sock[1] = -1;
  ring->sock[KVS_RING_FORWARD] = forward_sock;
  ring->sock[KVS_RING_BACK] = back_sock;
  rc = map_shared (ring, memfd, (size_t) total);
  if (rc != KVS_RING_OK) {
    ring->memfd = ring->sock[0] = ring->sock[1] = -1;   /* caller keeps its fds */
    kvs_ring_free (ring);
    return rc;
  }
  ring->data[KVS_RING_FORWARD] =
      (uint8_t *) ring->shared + ring->shared->data_offset[KVS_RING_FORWARD];
  ring->data[KVS_RING_BACK] =
      (uint8_t *) ring->shared + ring->shared->data_offset[KVS_RING_BACK];
  /* Resume where the previous reader left off: everything not released is unread. */
  ring->read_pos =
      atomic_load (&ring->shared->control[read_direction (ring)].release_pos);
  fcntl (forward_sock, F_SETFL, fcntl (forward_sock, F_GETFL) | O_NONBLOCK);
  fcntl (back_sock, F_SETFL, fcntl (back_sock, F_GETFL) | O_NONBLOCK);
  *out = ring;
  return KVS_RING_OK;
}

int
kvs_ring_peer_memfd (const KvsRing * ring)
{
  return ring->peer_memfd;
}

int
kvs_ring_peer_forward_sock (const KvsRing * ring)
{
  return ring->peer_sock[KVS_RING_FORWARD];
}

int
kvs_ring_peer_back_sock (const KvsRing * ring)
{
  return ring->peer_sock[KVS_RING_BACK];
}

void
kvs_ring_close_peer_fds (KvsRing * ring)
{
  int d;
  for (d = 0; d < 2; d++) {
    if (ring->peer_sock[d] >= 0)
      close (ring->peer_sock[d]);
    ring->peer_sock[d] = -1;
  }
  if (ring->peer_memfd >= 0)
    close (ring->peer_memfd);
  ring->peer_memfd = -1;
}

void
kvs_ring_free (KvsRing * ring)
{
  int d;
  if (!ring)
    return;
  kvs_ring_close_peer_fds (ring);
  for (d = 0; d < 2; d++)
    if (ring->sock[d] >= 0)
      close (ring->sock[d]);
  if (ring->shared)
    munmap (ring->shared, ring->map_bytes);
  if (ring->memfd >= 0)
    close (ring->memfd);
  free (ring);
}

static uint64_t
record_bytes (uint64_t payload)
{
  return round_up (KVS_RING_RECORD_HEADER_BYTES + payload, KVS_RING_ALIGN);
}

uint64_t
kvs_ring_max_payload (const KvsRing * ring, KvsRingDirection dir)
{
  /* A record never wraps, and a wrap may waste up to one record's size: keeping
   * records within half the ring guarantees any record fits an empty ring. */
  return ring->shared->capacity[dir] / 2 - KVS_RING_RECORD_HEADER_BYTES;
}

int
kvs_ring_write (KvsRing * ring, const KvsRingRecordHeader * header,
    const void *const *parts, const size_t * part_lengths, size_t n_parts,
    int timeout_ms, int cancel_fd)
{
  KvsRingDirection dir = write_direction (ring);
  KvsRingControl *ctl = &ring->shared->control[dir];
  uint64_t capacity = ring->shared->capacity[dir];
  uint8_t *data = ring->data[dir];
  uint64_t payload = 0, size, write_pos, offset, tail, needed;
  int wrap;
  KvsRingRecordHeader *dst;
  uint8_t *cursor;
  int deadline = timeout_ms > 0 ? monotonic_ms () + timeout_ms : 0;
  size_t i;

  for (i = 0; i < n_parts; i++)
    payload += part_lengths[i];
  if (payload > kvs_ring_max_payload (ring, dir))
    return KVS_RING_E_TOO_LARGE;
  size = record_bytes (payload);

  write_pos = atomic_load_explicit (&ctl->write_pos, memory_order_relaxed);
  offset = write_pos % capacity;
  tail = capacity - offset;
  /* Records never wrap: when the rest of the region can't hold this one, it is
   * skipped (a pad record, or nothing if not even a header fits). */
  wrap = tail < size;
  needed = wrap ? tail + size : size;

  for (;;) {
    uint64_t released =
        atomic_load_explicit (&ctl->release_pos, memory_order_acquire);
    int rc, wait_ms;
    if (capacity - (write_pos - released) >= needed)
      break;
    if (timeout_ms == 0)
      return KVS_RING_E_FULL;
    /* Announce the wait, then look again: the reader checks the flag after it
     * publishes a release, so one of us sees the other (both seq_cst). */
    atomic_store (&ctl->writer_waiting, 1);
    released = atomic_load (&ctl->release_pos);
    if (capacity - (write_pos - released) >= needed) {
      atomic_store (&ctl->writer_waiting, 0);
      break;
    }
    wait_ms = -1;
    if (timeout_ms > 0) {
      wait_ms = deadline - monotonic_ms ();
      if (wait_ms <= 0) {
        atomic_store (&ctl->writer_waiting, 0);
        return KVS_RING_E_TIMEOUT;
      }
    }
    rc = wait_on (ring->sock[dir], wait_ms, cancel_fd);
    atomic_store (&ctl->writer_waiting, 0);
    if (rc == KVS_RING_E_HANGUP || rc == KVS_RING_E_CANCELLED
        || rc == KVS_RING_E_SYS)
      return rc;
  }

  if (wrap) {
    if (tail >= KVS_RING_RECORD_HEADER_BYTES) {
      KvsRingRecordHeader *pad = (KvsRingRecordHeader *) (data + offset);
      memset (pad, 0, sizeof *pad);
      pad->size = (uint32_t) tail;
      pad->type = KVS_RING_REC_PAD;
    }
    write_pos += tail;
    offset = 0;
  }

  dst = (KvsRingRecordHeader *) (data + offset);
  *dst = *header;
  dst->size = (uint32_t) size;
  dst->length = (uint32_t) payload;
  cursor = data + offset + KVS_RING_RECORD_HEADER_BYTES;
  for (i = 0; i < n_parts; i++) {
    if (part_lengths[i]) {
      memcpy (cursor, parts[i], part_lengths[i]);
      cursor += part_lengths[i];
    }
  }
  atomic_store (&ctl->write_pos, write_pos + size);
  if (atomic_load (&ctl->reader_waiting)
      && atomic_exchange (&ctl->reader_waiting, 0))
    wake (ring->sock[dir]);
  return KVS_RING_OK;
}

int
kvs_ring_read (KvsRing * ring, KvsRingRecord * out)
{
  KvsRingDirection dir = read_direction (ring);
  KvsRingControl *ctl = &ring->shared->control[dir];
  uint64_t capacity = ring->shared->capacity[dir];
  const uint8_t *data = ring->data[dir];

  for (;;) {
    uint64_t written =
        atomic_load_explicit (&ctl->write_pos, memory_order_acquire);
    uint64_t offset = ring->read_pos % capacity;
    uint64_t tail = capacity - offset;
    const KvsRingRecordHeader *hdr;

    if (ring->read_pos >= written)
      return KVS_RING_E_EMPTY;
    if (tail < KVS_RING_RECORD_HEADER_BYTES) {
      ring->read_pos += tail;
      continue;
    }
    hdr = (const KvsRingRecordHeader *) (data + offset);
    if (hdr->size < KVS_RING_RECORD_HEADER_BYTES || hdr->size > tail
        || hdr->size % KVS_RING_ALIGN != 0
        || (hdr->type != KVS_RING_REC_PAD
            && record_bytes (hdr->length) != hdr->size))
      return KVS_RING_E_CORRUPT;
    if (hdr->type == KVS_RING_REC_PAD) {
      ring->read_pos += hdr->size;
      continue;
    }
    out->header = *hdr;
    out->payload = data + offset + KVS_RING_RECORD_HEADER_BYTES;
    out->position = ring->read_pos;
    out->next = ring->read_pos + hdr->size;
    ring->read_pos = out->next;
    return KVS_RING_OK;
  }
}

int
kvs_ring_arm_reader (KvsRing * ring)
{
  KvsRingControl *ctl = &ring->shared->control[read_direction (ring)];

  if (atomic_load_explicit (&ctl->write_pos, memory_order_acquire) >
      ring->read_pos)
    return 1;
  atomic_store (&ctl->reader_waiting, 1);
  if (atomic_load (&ctl->write_pos) > ring->read_pos) {
    atomic_store (&ctl->reader_waiting, 0);
    return 1;
  }
  return 0;
}

void
kvs_ring_disarm_reader (KvsRing * ring)
{
  atomic_store (&ring->shared->control[read_direction (ring)].reader_waiting,
      0);
}

int
kvs_ring_take_wakeups (KvsRing * ring)
{
  return drain_wakeups (ring->sock[read_direction (ring)]) == 0 ?
      KVS_RING_OK : KVS_RING_E_HANGUP;
}

int
kvs_ring_read_fd (const KvsRing * ring)
{
  return ring->sock[read_direction (ring)];
}

int
kvs_ring_wait_readable (KvsRing * ring, int timeout_ms, int cancel_fd)
{
  KvsRingDirection dir = read_direction (ring);
  KvsRingControl *ctl = &ring->shared->control[dir];
  int rc;

  if (kvs_ring_arm_reader (ring))
    return KVS_RING_OK;
  rc = wait_on (ring->sock[dir], timeout_ms, cancel_fd);
  kvs_ring_disarm_reader (ring);
  /* Data written just before the peer exited is still readable. */
  if (atomic_load (&ctl->write_pos) > ring->read_pos)
    return KVS_RING_OK;
  return rc;
}

int
kvs_ring_renew_peer (KvsRing * ring)
{
  int pair[2][2] = { {-1, -1}, {-1, -1} };
  int d, memfd;

  if (ring->role != KVS_RING_ROLE_ELEMENT)
    return KVS_RING_E_INVALID;
  for (d = 0; d < 2; d++) {
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
            pair[d]) != 0)
      goto sys_error;
  }
  memfd = fcntl (ring->memfd, F_DUPFD_CLOEXEC, 10);
  if (memfd < 0)
    goto sys_error;
  kvs_ring_close_peer_fds (ring);
  ring->peer_memfd = memfd;
  for (d = 0; d < 2; d++) {
    if (ring->sock[d] >= 0)
      close (ring->sock[d]);
    ring->sock[d] = pair[d][0];
    ring->peer_sock[d] = fcntl (pair[d][1], F_DUPFD_CLOEXEC, 10);
    close (pair[d][1]);
    if (ring->peer_sock[d] < 0)
      return KVS_RING_E_SYS;
    /* A dead peer may have left its flag up; nobody waits on the new sockets yet. */
    atomic_store (&ring->shared->control[d].reader_waiting, 0);
    atomic_store (&ring->shared->control[d].writer_waiting, 0);
  }
  return KVS_RING_OK;

sys_error:
  {
    int saved = errno;
    for (d = 0; d < 2; d++) {
      if (pair[d][0] >= 0)
        close (pair[d][0]);
      if (pair[d][1] >= 0)
        close (pair[d][1]);
    }
    errno = saved;
  }
  return KVS_RING_E_SYS;
}

uint8_t *
kvs_ring_worker_state (const KvsRing * ring)
{
  return (uint8_t *) ring->shared + KVS_RING_WORKER_STATE_OFFSET;
}

/* Released pages are given back only while at most 1/8 of the ring stays held. */
#define KVS_RING_PUNCH_HELD_FRACTION 8

/* Gives the pages wholly inside [from, to) back to the kernel, so that the ring's
 * resident memory follows what is held, not its capacity. The forward ring only: it
 * is the content store, released once per fragment; the back ring is small. */
static void
punch_released (KvsRing * ring, KvsRingDirection dir, uint64_t from,
    uint64_t to)
{
  uint64_t capacity = ring->shared->capacity[dir];
  uint64_t page = (uint64_t) sysconf (_SC_PAGESIZE);
  uint64_t start = round_up (from, page);
  uint64_t end = to / page * page;

  if (ring->memfd < 0)
    return;
  /* The data offset and the capacity are page multiples: page boundaries of
   * positions are page boundaries of the memfd. */
  while (start < end) {
    uint64_t offset = start % capacity;
    uint64_t length = MIN (end - start, capacity - offset);
    if (fallocate (ring->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            (off_t) (ring->shared->data_offset[dir] + offset),
            (off_t) length) != 0)
      return;                   /* not supported here: the pages just stay */
    start += length;
  }
}

int
kvs_ring_release (KvsRing * ring, uint64_t position)
{
  KvsRingDirection dir = read_direction (ring);
  KvsRingControl *ctl = &ring->shared->control[dir];
  uint64_t released =
      atomic_load_explicit (&ctl->release_pos, memory_order_relaxed);

  if (position <= released)
    return KVS_RING_OK;
  if (position > ring->read_pos)
    return KVS_RING_E_INVALID;
  /* Before publishing: once released, the writer may fill those pages again.
   * Only while little stays held: with a backlog (an offline upload, a catch-up)
   * the writer refills the pages at once, and each refill would cost a fault. */
  if (dir == KVS_RING_FORWARD && atomic_load (&ctl->write_pos) - position <=
      ring->shared->capacity[dir] / KVS_RING_PUNCH_HELD_FRACTION)
    punch_released (ring, dir, released, position);
  atomic_store (&ctl->release_pos, position);
  if (atomic_load (&ctl->writer_waiting)
      && atomic_exchange (&ctl->writer_waiting, 0))
    wake (ring->sock[dir]);
  return KVS_RING_OK;
}

int
kvs_ring_seek (KvsRing * ring, uint64_t position)
{
  KvsRingDirection dir = read_direction (ring);
  KvsRingControl *ctl = &ring->shared->control[dir];
  if (position < atomic_load (&ctl->release_pos)
      || position > atomic_load (&ctl->write_pos))
    return KVS_RING_E_INVALID;
  ring->read_pos = position;
  return KVS_RING_OK;
}

uint64_t
kvs_ring_read_position (const KvsRing * ring)
{
  return ring->read_pos;
}

uint64_t
kvs_ring_released_position (const KvsRing * ring)
{
  return atomic_load (&ring->shared->control[read_direction (ring)].release_pos);
}

uint64_t
kvs_ring_written_position (const KvsRing * ring, KvsRingDirection dir)
{
  return atomic_load (&ring->shared->control[dir].write_pos);
}

uint64_t
kvs_ring_capacity (const KvsRing * ring, KvsRingDirection dir)
{
  return ring->shared->capacity[dir];
}

uint8_t *
kvs_ring_data (const KvsRing * ring, KvsRingDirection dir)
{
  return ring->data[dir];
}

const char *
kvs_ring_strerror (int code)
{
  switch (code) {
    case KVS_RING_OK:
      return "RING_OK";
    case KVS_RING_E_FULL:
      return "RING_FULL";
    case KVS_RING_E_EMPTY:
      return "RING_EMPTY";
    case KVS_RING_E_TIMEOUT:
      return "RING_TIMEOUT";
    case KVS_RING_E_HANGUP:
      return "RING_PEER_GONE";
    case KVS_RING_E_CANCELLED:
      return "RING_CANCELLED";
    case KVS_RING_E_TOO_LARGE:
      return "RING_RECORD_TOO_LARGE";
    case KVS_RING_E_MAGIC:
      return "RING_BAD_MAGIC";
    case KVS_RING_E_VERSION:
      return "RING_VERSION_MISMATCH";
    case KVS_RING_E_SYS:
      return "RING_SYSTEM_ERROR";
    case KVS_RING_E_CORRUPT:
      return "RING_CORRUPT";
    case KVS_RING_E_INVALID:
      return "RING_INVALID_ARGUMENT";
    default:
      return "RING_UNKNOWN";
  }
}
