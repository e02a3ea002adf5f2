/**
 * The worker's view of the shared-memory ring (native/ring, through native/addon).
 * Record layout and types are documented in native/ring/FORMAT.md; the constants below
 * must agree with the addon's (a unit test checks).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RING_VERSION = 2;

export const RecordType = {
  CONFIG: 1,
  TRACK: 2,
  FRAME: 3,
  METADATA: 4,
  EOS: 5,
  FLUSH: 6,
  SHUTDOWN: 7,
  /** Frames the element dropped at a full ring (aux: count; pts, dts: first and last PTS). */
  DROPPED_AT_ELEMENT: 8,
  READY: 64,
  STREAM_ERROR: 65,
  FRAGMENT_ACK: 66,
  METRICS: 67,
  STREAM_CLOSED: 68,
  LOG: 69,
  WARNING: 70,
  DROPPED: 71,
  MESSAGE: 72,
} as const;
export type RecordTypeName = keyof typeof RecordType;

export const FrameFlag = {
  KEY: 1,
  DISCONT: 2,
  HEADER: 4,
  CORRUPTED: 8,
  DECODE_ONLY: 16,
  GAP: 32,
} as const;

/** Ring return codes (kvs_ring.h). */
export const RingCode = {
  OK: 0,
  FULL: -1,
  EMPTY: -2,
  TIMEOUT: -3,
  HANGUP: -4,
  CANCELLED: -5,
  TOO_LARGE: -6,
  VERSION: -8,
  CORRUPT: -10,
} as const;

/** GST_CLOCK_TIME_NONE as the ring carries it. */
export const TIME_NONE = -1n;

/** Role of the side that attaches: the element writes forward, the worker reads it. */
export const enum RingRole {
  Element = 0,
  Worker = 1,
}

/** A record read from the ring. `payload` is a view into shared memory, valid until released. */
export interface RingRecord {
  type: number;
  track: number;
  flags: number;
  payload: Uint8Array;
  /** Stream position of the record start (for seek/replay). */
  position: number;
  /** Stream position just past the record (what to release once it is done with). */
  next: number;
  pts: bigint;
  dts: bigint;
  duration: bigint;
  aux: bigint;
}

export type WaitResult = 'readable' | 'timeout' | 'hangup' | 'cancelled';

interface NativeRing {
  readRegion(): ArrayBuffer;
  peerFds(): [number, number, number];
  closePeerFds(): void;
  setReadViews(u32: Uint32Array, f64: Float64Array, i64: BigInt64Array): void;
  read(): number;
  write(type: number, track: number, flags: number, pts: bigint, dts: bigint, duration: bigint, aux: bigint,
    payload: Uint8Array | null, timeoutMs: number): number;
  release(position: number): number;
  seek(position: number): number;
  arm(): number;
  disarm(): void;
  takeWakeups(): number;
  readFd(): number;
  renewPeer(): number;
  workerState(): ArrayBuffer;
  positions(): number[];
  close(): void;
}

export interface FdWatcher {
  close(): void;
}

/** A message from the control socket: bytes and the fds that came with them. */
export interface ControlMessage {
  data: Buffer;
  fds: number[];
  truncated: boolean;
}

interface NativeBinding {
  Ring: {
    create(forwardCapacity: number, backCapacity: number): NativeRing;
    attach(memfd: number, forwardSock: number, backSock: number, role: number): NativeRing;
  };
  /** Calls `onEvent(1)` when fd is readable, `onEvent(2)` on hang-up, on the event loop. */
  FdWatcher: new (fd: number, onEvent: (event: number) => void) => FdWatcher;
  /** One message of a SOCK_SEQPACKET socket: null when none waits, false when the peer closed it. */
  recvControl(fd: number): ControlMessage | null | false;
  closeFd(fd: number): void;
  constants: Record<string, number>;
  strerror(code: number): string;
}

function findAddon(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Installed, the addon sits beside the worker bundle (scripts/install-system); in the
  // build tree, src/ring (vitest), dist/ring and dist/bundle sit two levels below the root.
  const candidates = [
    process.env.KVSSINK_ADDON,
    join(here, 'kvssink_ring.node'),
    join(here, '..', '..', 'build', 'Release', 'kvssink_ring.node'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`kvssink ring addon not found (looked in ${candidates.join(', ')}); run scripts/setup`);
  }
  return found;
}

let binding: NativeBinding | undefined;

/** Loads the addon once. */
export function nativeBinding(): NativeBinding {
  binding ??= createRequire(import.meta.url)(findAddon()) as NativeBinding;
  return binding;
}

export class RingError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RingError';
  }
}

function codeName(rc: number): string {
  return nativeBinding().strerror(rc);
}

export class Ring {
  readonly #native: NativeRing;
  readonly #u32 = new Uint32Array(5);
  readonly #f64 = new Float64Array(2);
  readonly #i64 = new BigInt64Array(4);
  #region: Uint8Array;
  #closed = false;
  #watcher: FdWatcher | undefined;
  #hungUp = false;
  #waiter: ((result: WaitResult) => void) | undefined;
  #waitTimer: NodeJS.Timeout | undefined;
  #waitTimerMs = -1;
  /** The armed timer belongs to the wait in progress. */
  #waitTimerDue = false;

  private constructor(native: NativeRing) {
    this.#native = native;
    native.setReadViews(this.#u32, this.#f64, this.#i64);
    this.#region = new Uint8Array(native.readRegion());
  }

  /** Creates a ring as the element does (used by the benchmark and by tests of the worker). */
  static create(forwardCapacity: number, backCapacity: number): Ring {
    if (!Number.isSafeInteger(forwardCapacity) || forwardCapacity <= 0) {
      throw new TypeError('Expected "forwardCapacity" to be a positive integer');
    }
    if (!Number.isSafeInteger(backCapacity) || backCapacity <= 0) {
      throw new TypeError('Expected "backCapacity" to be a positive integer');
    }
    return new Ring(nativeBinding().Ring.create(forwardCapacity, backCapacity));
  }

  /** Attaches to a ring the peer created; fds as passed at spawn (memfd, forward, back). */
  static attach(fds: { memfd: number; forward: number; back: number }, role: RingRole): Ring {
    for (const [name, fd] of Object.entries(fds)) {
      if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`Expected fd "${name}" to be a non-negative integer`);
    }
    return new Ring(nativeBinding().Ring.attach(fds.memfd, fds.forward, fds.back, role));
  }

  /** fds for the peer process: [memfd, forward socket, back socket]. */
  peerFds(): [number, number, number] {
    return this.#native.peerFds();
  }

  closePeerFds(): void {
    this.#native.closePeerFds();
  }

  /** The next record at the read cursor, or null when there is none yet. */
  read(): RingRecord | null {
    const rc = this.#native.read();
    if (rc === RingCode.EMPTY) return null;
    if (rc !== RingCode.OK) throw new RingError(codeName(rc), `Reading the ring failed: ${codeName(rc)}`);
    const u32 = this.#u32;
    const i64 = this.#i64;
    const offset = u32[4]!;
    return {
      type: u32[0]!,
      track: u32[1]!,
      flags: u32[2]!,
      payload: this.#region.subarray(offset, offset + u32[3]!),
      position: this.#f64[0]!,
      next: this.#f64[1]!,
      pts: i64[0]!,
      dts: i64[1]!,
      duration: i64[2]!,
      aux: i64[3]!,
    };
  }

  /**
   * Writes a record on the ring this side writes. Returns false when it does not fit
   * (timeoutMs 0) or the wait timed out; throws when it can never fit or the peer is gone.
   */
  write(type: number, options: { track?: number; flags?: number; pts?: bigint; dts?: bigint; duration?: bigint;
    aux?: bigint; payload?: Uint8Array | null; timeoutMs?: number } = {}): boolean {
    const rc = this.#native.write(type, options.track ?? 0, options.flags ?? 0, options.pts ?? TIME_NONE,
      options.dts ?? TIME_NONE, options.duration ?? TIME_NONE, options.aux ?? 0n, options.payload ?? null,
      options.timeoutMs ?? 0);
    if (rc === RingCode.OK) return true;
    if (rc === RingCode.FULL || rc === RingCode.TIMEOUT) return false;
    throw new RingError(codeName(rc), `Writing to the ring failed: ${codeName(rc)}`);
  }

  /** Frees everything before `position`; views into it become invalid. */
  release(position: number): void {
    const rc = this.#native.release(position);
    if (rc !== RingCode.OK) throw new RingError(codeName(rc), `Releasing ring position ${position} failed`);
  }

  /** Moves the read cursor back (or forward) to a record start that is not released yet. */
  seek(position: number): void {
    const rc = this.#native.seek(position);
    if (rc !== RingCode.OK) throw new RingError(codeName(rc), `Seeking the ring to ${position} failed`);
  }

  /**
   * Waits on the event loop (no thread: one worker waits on many rings) until a record is
   * readable. `coalesceUs` then waits that much longer, so a burst is handled in one go
   * (throughput) at the cost of that latency.
   */
  async waitReadable(timeoutMs: number, coalesceUs = 0): Promise<WaitResult> {
    if (this.#closed) return 'hangup';
    let result: WaitResult;
    if (this.#native.arm()) result = 'readable';
    else if (this.#hungUp) {
      this.#native.disarm();
      result = 'hangup';
    } else {
      this.#watcher ??= new (nativeBinding().FdWatcher)(this.#native.readFd(), (event) => this.#onWake(event));
      result = await new Promise<WaitResult>((resolve) => {
        this.#waiter = resolve;
        if (timeoutMs >= 0) this.#armTimer(timeoutMs);
      });
    }
    if (result === 'readable' && coalesceUs > 0) await new Promise((r) => setTimeout(r, Math.max(1, coalesceUs / 1000)));
    return result;
  }

  #onWake(event: number): void {
    if (this.#closed) return;
    const rc = this.#native.takeWakeups();
    if (event === 2 || rc === RingCode.HANGUP) {
      // A hung-up socket stays readable: stop watching it.
      this.#hungUp = true;
      this.#watcher?.close();
      this.#watcher = undefined;
      this.#settle(this.#native.arm() ? 'readable' : 'hangup');
      return;
    }
    this.#settle('readable');
  }

  #armTimer(timeoutMs: number): void {
    this.#waitTimerDue = true;
    if (this.#waitTimer && this.#waitTimerMs === timeoutMs) {
      this.#waitTimer.refresh();
      return;
    }
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimerMs = timeoutMs;
    this.#waitTimer = setTimeout(() => {
      if (this.#waitTimerDue) this.#settle('timeout');
    }, timeoutMs);
  }

  #settle(result: WaitResult): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    // The timer stays armed (one per ring, refreshed by the next wait): a wait per frame
    // would otherwise create and cancel a timer per frame.
    this.#waitTimerDue = false;
    if (!this.#closed) this.#native.disarm();
    waiter(result);
  }

  /** The worker's bytes in the header page (native/ring/FORMAT.md): they outlive a worker process. */
  workerState(): Uint8Array {
    return new Uint8Array(this.#native.workerState());
  }

  /**
   * Creator side: new wake-up sockets and peer fds for a new peer process (after the old
   * one died); content and positions stay.
   */
  renewPeer(): void {
    const rc = this.#native.renewPeer();
    if (rc !== RingCode.OK) throw new RingError(codeName(rc), `Renewing the ring's peer fds failed: ${codeName(rc)}`);
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#hungUp = false;
  }

  positions(): { read: number; released: number; writtenForward: number; writtenBack: number;
    capacityForward: number; capacityBack: number; maxWritePayload: number } {
    const [read, released, writtenForward, writtenBack, capacityForward, capacityBack, maxWritePayload] =
      this.#native.positions() as [number, number, number, number, number, number, number];
    return { read, released, writtenForward, writtenBack, capacityForward, capacityBack, maxWritePayload };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Idempotent. Detaches the shared-memory views: a stale view reads as empty. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#settle('hangup');
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#native.close();
    this.#region = new Uint8Array(0);
  }
}
