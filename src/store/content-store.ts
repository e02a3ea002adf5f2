/**
 * The content store: the forward ring, seen as the frames a stream holds until KVS has them.
 *
 * The ring's read cursor is the send cursor. Frames stay in shared memory (and are written to
 * the socket by reference) until their fragment is acknowledged; then the space is released,
 * oldest first, because the ring releases in order. After a failed session the cursor goes
 * back to the first unacknowledged fragment. The element holds the memory, so a worker that
 * dies loses nothing: its successor attaches, starts reading at the first unreleased record
 * (a fragment start) and finds in the ring's worker-state area what it needs to give the
 * replayed frames the same timestamps (see ResumeState).
 */
import type { Ring } from '../ring/ring.js';

/** A fragment sent (or being sent) and not yet released from the ring. */
interface HeldFragment {
  timecode: number;
  /** Ring position of its first record: where a replay starts. */
  startPosition: number;
  /** Ring position just past its last frame so far. */
  endPosition: number;
  frames: number;
  /** Its last frame is sent: an ACK for it completes it. */
  done: boolean;
  /** KVS said RECEIVED: if it has to go from the store, it is not lost. */
  received: boolean;
}

export class ContentStore {
  readonly #ring: Ring;
  readonly #oldestUnsent: () => number | undefined;
  #fragments: HeldFragment[] = [];

  /** `oldestUnsent`: the lowest ring position of a frame read but not sent yet (never released). */
  constructor(ring: Ring, oldestUnsent: () => number | undefined = () => undefined) {
    this.#ring = ring;
    this.#oldestUnsent = oldestUnsent;
  }

  /** Frames of the fragments not yet acknowledged. */
  get heldFrames(): number {
    let frames = 0;
    for (const f of this.#fragments) frames += f.frames;
    return frames;
  }

  /** Ring positions where the held fragments start, oldest first. */
  fragmentStarts(): number[] {
    return this.#fragments.map((f) => f.startPosition);
  }

  /** Timecode of the oldest fragment held, if any. */
  get oldestTimecode(): number | undefined {
    return this.#fragments[0]?.timecode;
  }

  /** Fragments sent and not yet acknowledged (or given up). */
  get unacknowledged(): number {
    return this.#fragments.length;
  }

  /** A new fragment starts with the record at `position`; the previous one is complete. */
  fragmentStarted(timecode: number, position: number): void {
    this.closeLast();
    this.#fragments.push({ timecode, startPosition: position, endPosition: position, frames: 0, done: false, received: false });
  }

  /** A frame of the newest fragment was sent; `next` is the ring position just past it. */
  frameSent(next: number): void {
    const fragment = this.#fragments[this.#fragments.length - 1];
    if (!fragment) return;
    fragment.frames++;
    // Frames of several tracks may leave the ring out of order.
    if (next > fragment.endPosition) fragment.endPosition = next;
  }

  /** The newest fragment will get no more frames (a new one started, or the stream ends). */
  closeLast(): void {
    const last = this.#fragments[this.#fragments.length - 1];
    if (last) last.done = true;
  }

  /** KVS received the fragment (not yet persisted): kept for a replay, but no longer at risk. */
  received(timecode: number): void {
    const fragment = this.#fragments.find((f) => f.timecode === timecode);
    if (fragment) fragment.received = true;
  }

  /** KVS has the fragment: release it (and, in order, the space before the oldest one held). */
  acknowledged(timecode: number): void {
    const index = this.#fragments.findIndex((f) => f.timecode === timecode);
    if (index >= 0 && this.#fragments[index]!.done) this.#complete(index);
  }

  /** The fragment can never be accepted (a non-retriable rejection): stop holding it. Returns its frame count. */
  giveUp(timecode: number): number | undefined {
    const index = this.#fragments.findIndex((f) => f.timecode === timecode);
    if (index < 0) return undefined;
    const frames = this.#fragments[index]!.frames;
    this.#complete(index);
    return frames;
  }

  /**
   * replay-duration: before a replay, stops holding the fragments that start more than that
   * before the newest one (which is always kept). Returns their frames and fragments.
   */
  giveUpOlderThan(timecode: number): { frames: number; fragments: number } {
    let frames = 0;
    let fragments = 0;
    while (this.#fragments.length > 1 && this.#fragments[0]!.timecode < timecode) {
      if (!this.#fragments[0]!.received) {
        frames += this.#fragments[0]!.frames;
        fragments++;
      }
      this.#complete(0);
    }
    return { frames, fragments };
  }

  /** Timecode of the newest fragment held, if any. */
  get newestTimecode(): number | undefined {
    return this.#fragments[this.#fragments.length - 1]?.timecode;
  }

  /** After a failed session: the next read is the first record of the oldest fragment held (false: none). */
  rewind(): boolean {
    const first = this.#fragments[0];
    if (first) this.#ring.seek(first.startPosition);
    this.#fragments = [];
    return first !== undefined;
  }

  /**
   * Realtime pressure (src/store/pressure.ts): frees everything before `cut`, a record where a
   * fragment may start, and makes it the next record read. Returns the frames and fragments of
   * the held fragments that went; the ones held after the cut are read and sent again.
   */
  dropBefore(cut: number): { frames: number; fragments: number } {
    let frames = 0;
    let fragments = 0;
    for (const f of this.#fragments) {
      if (f.startPosition >= cut || f.received) continue;
      frames += f.frames;
      fragments++;
    }
    this.#fragments = [];
    this.#ring.seek(cut);
    if (cut > this.#ring.positions().released) this.#ring.release(cut);
    return { frames, fragments };
  }

  /** Nothing will be acknowledged (fragment-acks off): release everything read. */
  releaseAll(): void {
    this.#fragments = [];
    this.#release(this.#ring.positions().read);
  }

  /** A record was read but not sent: read it again next time. */
  unread(position: number): void {
    this.#ring.seek(position);
  }

  #complete(index: number): void {
    const [fragment] = this.#fragments.splice(index, 1);
    // Only the oldest fragment frees space: the ring releases in order.
    if (!fragment || index !== 0) return;
    this.#release(this.#fragments[0]?.startPosition ?? fragment.endPosition);
  }

  #release(position: number): void {
    const unsent = this.#oldestUnsent();
    if (unsent !== undefined && unsent < position) position = unsent;
    const { released, read } = this.#ring.positions();
    if (position > released && position <= read) this.#ring.release(position);
  }
}

/**
 * What a worker keeps in the ring's worker-state area (native/ring/FORMAT.md) so that its
 * successor maps the replayed frames to the same timestamps: the stream's start and the
 * offset from buffer time to epoch time, both fixed at the first frame.
 */
export interface TimestampBase {
  startNs?: bigint;
  offsetNs?: bigint;
}

const STATE_MAGIC = 0x5753564bn; // "KVSW"
const FLAG_START = 1n;
const FLAG_OFFSET = 2n;

export class ResumeState {
  /** [magic, flags, startNs, offsetNs] as little-endian 64-bit words. */
  readonly #words: BigInt64Array;

  constructor(ring: Ring) {
    const bytes = ring.workerState();
    this.#words = new BigInt64Array(bytes.buffer, bytes.byteOffset, 4);
  }

  /** What a previous worker saved for this ring, if anything. */
  load(): TimestampBase {
    const w = this.#words;
    if (w[0] !== STATE_MAGIC) return {};
    const flags = w[1]!;
    return {
      ...(flags & FLAG_START ? { startNs: w[2]! } : {}),
      ...(flags & FLAG_OFFSET ? { offsetNs: w[3]! } : {}),
    };
  }

  /** Saves the values before the flags that make them valid: a worker may die at any point. */
  save(base: TimestampBase): void {
    const w = this.#words;
    let flags = 0n;
    if (base.startNs !== undefined) {
      w[2] = base.startNs;
      flags |= FLAG_START;
    }
    if (base.offsetNs !== undefined) {
      w[3] = base.offsetNs;
      flags |= FLAG_OFFSET;
    }
    w[0] = STATE_MAGIC;
    w[1] = flags;
  }
}
