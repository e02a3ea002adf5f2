/**
 * Puts the frames of several tracks in timestamp order before they reach the fragmenter.
 *
 * Frames arrive in the order the pipeline produced them, and an encoder with a few hundred ms of
 * latency delivers video well after the audio of the same moment. Written in arrival order, a
 * fragment's tail would hold audio from after the next video key frame, and the next fragment
 * would start before the previous one ends (KVS: 4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS).
 * The producer SDK's putFrameMultiTrack queues frames for the same reason: "to ensure that the MKV
 * fragments maintain monotonically increasing frame time stamps and any two fragments do not
 * overlap" (kvs-developer-guide.txt ~L3037). So: each track has a queue (its own order kept), and
 * the frame with the lowest timestamp among the queue heads goes out once every track has a frame
 * queued. The wait for a slower track is bounded in media time: when a queue spans more than
 * `maxWaitTc`, its head goes out anyway, so a track that stops (a muted microphone, a dead source)
 * delays the others by that much at most. A frame that then arrives with a timestamp before what
 * was already sent is late: the caller decides (see `lastTc`).
 */

export interface InterleavedFrame {
  track: number;
  /** The ordering timestamp, in timecode units. */
  tc: number;
  /** Ring position of the frame's record (a replay must start at the oldest one held). */
  position: number;
}

export class Interleaver<T extends InterleavedFrame> {
  readonly #queues = new Map<number, T[]>();
  readonly #maxWaitTc: number;
  #held = 0;

  constructor(tracks: readonly number[], maxWaitTc: number) {
    for (const t of tracks) this.#queues.set(t, []);
    this.#maxWaitTc = maxWaitTc;
  }

  /** Frames held, waiting for another track. */
  get size(): number {
    return this.#held;
  }

  /** Queues a frame, and returns the frames that may go out now, in timestamp order. */
  push(frame: T): T[] {
    const queue = this.#queues.get(frame.track);
    if (!queue) return [frame]; // a track we don't interleave: pass it through
    queue.push(frame);
    this.#held++;
    const out: T[] = [];
    for (;;) {
      const next = this.#nextReady();
      if (!next) return out;
      out.push(next);
    }
  }

  /** Everything held, in timestamp order (end of stream). */
  drain(): T[] {
    const out: T[] = [];
    for (;;) {
      const next = this.#lowestHead();
      if (!next) return out;
      out.push(this.#shift(next));
    }
  }

  /** Forgets what is held (the caller re-reads it from the ring). */
  clear(): void {
    for (const q of this.#queues.values()) q.length = 0;
    this.#held = 0;
  }

  /** How many frames held come before ring position `position`. */
  countBefore(position: number): number {
    let n = 0;
    for (const q of this.#queues.values()) for (const f of q) if (f.position < position) n++;
    return n;
  }

  /** The lowest ring position held, or undefined. */
  oldestPosition(): number | undefined {
    let oldest: number | undefined;
    for (const q of this.#queues.values()) {
      for (const f of q) if (oldest === undefined || f.position < oldest) oldest = f.position;
    }
    return oldest;
  }

  #nextReady(): T | undefined {
    const head = this.#lowestHead();
    if (!head) return undefined;
    let everyTrackWaiting = true;
    for (const q of this.#queues.values()) if (q.length === 0) everyTrackWaiting = false;
    if (everyTrackWaiting) return this.#shift(head);
    // Some track has nothing queued: wait for it, but only so long.
    for (const q of this.#queues.values()) {
      if (q.length > 0 && q[q.length - 1]!.tc - q[0]!.tc > this.#maxWaitTc) return this.#shift(this.#lowestHead()!);
    }
    return undefined;
  }

  #lowestHead(): T | undefined {
    let best: T | undefined;
    for (const q of this.#queues.values()) {
      const h = q[0];
      if (h && (best === undefined || h.tc < best.tc)) best = h;
    }
    return best;
  }

  #shift(head: T): T {
    this.#queues.get(head.track)!.shift();
    this.#held--;
    return head;
  }
}
