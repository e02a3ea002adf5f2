/**
 * Frame timestamps → MKV timecodes, with the official element's rules
 * (research/official-kvssink-and-user-pains.md §2.6, "Buffer handling"):
 * - realtime / near-realtime: buffer PTS (running time) rebased onto the wall clock at
 *   the first frame, so fragments carry producer timestamps close to "now";
 * - offline: PTS + file-start-time (seconds since the epoch; 0 means "now");
 * - use-original-pts: the buffer PTS already is an epoch time in ns;
 * - frame-timecodes=false: the time the element received the buffer.
 * A missing PTS falls back to DTS, then to the arrival time.
 */
import type { StreamingType } from '../config/config.js';
import type { TimestampBase } from '../store/content-store.js';

export const NS_PER_MS = 1_000_000n;

export interface TimestampSettings {
  streamingType: StreamingType;
  useOriginalPts: boolean;
  frameTimecodes: boolean;
  absoluteFragmentTimes: boolean;
  /** file-start-time, seconds since the epoch (0: the wall clock at the first frame). */
  fileStartTimeS: bigint;
  timecodeScaleMs: number;
}

/** Earliest plausible epoch time for use-original-pts (2001-09-09): below it, PTS is not epoch. */
const MIN_EPOCH_NS = 1_000_000_000n * 1_000_000_000n;

export class TimestampError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimestampError';
  }
}

export class TimestampMapper {
  readonly #settings: TimestampSettings;
  readonly #scaleNs: bigint;
  /** Added to a buffer timestamp to get epoch ns; fixed at the first frame. */
  #offsetNs: bigint | undefined;
  /** Wall-clock epoch ns of the stream start (producer start timestamp). */
  #startNs: bigint | undefined;
  /** Last arrival-based time per track: such times are kept strictly increasing. */
  readonly #lastArrivalNs = new Map<number, bigint>();
  /** Frames that had neither PTS nor DTS (stamped with their arrival time). */
  untimestampedFrames = 0;

  /** `restored`: the base a previous worker fixed for this stream, so replayed frames keep their times. */
  constructor(settings: TimestampSettings, restored: TimestampBase = {}) {
    this.#settings = settings;
    this.#scaleNs = BigInt(settings.timecodeScaleMs) * NS_PER_MS;
    this.#startNs = restored.startNs;
    this.#offsetNs = restored.offsetNs;
  }

  /** The values fixed so far (at the first frame), for ResumeState. */
  get base(): TimestampBase {
    return { startNs: this.#startNs, offsetNs: this.#offsetNs };
  }

  /** Epoch ms of the stream start, once the first frame fixed it. */
  get producerStartMs(): number | undefined {
    return this.#startNs === undefined ? undefined : Number(this.#startNs / NS_PER_MS);
  }

  get timecodeType(): 'ABSOLUTE' | 'RELATIVE' {
    return this.#settings.absoluteFragmentTimes ? 'ABSOLUTE' : 'RELATIVE';
  }

  /**
   * Epoch ns of a frame. `arrivalEpochNs` is when the element received it (wall clock).
   * Throws TimestampError when use-original-pts meets a PTS that is not an epoch time.
   */
  epochNs(ptsNs: bigint, dtsNs: bigint, arrivalEpochNs: bigint, track = 0): bigint {
    const s = this.#settings;
    const bufferTs = ptsNs >= 0n ? ptsNs : dtsNs >= 0n ? dtsNs : -1n;
    if (this.#startNs === undefined) {
      this.#startNs = s.streamingType === 'offline' && s.fileStartTimeS > 0n
        ? s.fileStartTimeS * 1_000_000_000n
        : arrivalEpochNs;
    }
    if (bufferTs < 0n && s.frameTimecodes) this.untimestampedFrames++;
    if (!s.frameTimecodes || bufferTs < 0n) return this.#arrivalTime(track, arrivalEpochNs);
    if (s.useOriginalPts) {
      if (bufferTs < MIN_EPOCH_NS) {
        throw new TimestampError(`use-original-pts is set but the buffer timestamp ${bufferTs} ns is not an ` +
          'epoch time in nanoseconds: unset use-original-pts, or timestamp buffers with the wall clock');
      }
      return bufferTs;
    }
    if (this.#offsetNs === undefined) {
      // Offline: PTS counts from the file start; live: the first frame is "now".
      this.#offsetNs = s.streamingType === 'offline' ? this.#startNs : this.#startNs - bufferTs;
    }
    return bufferTs + this.#offsetNs;
  }

  /**
   * Frames pushed together arrive within the same millisecond: at least one timecode unit apart,
   * so that every frame of a track has its own timestamp and the track stays monotonic.
   */
  #arrivalTime(track: number, arrivalNs: bigint): bigint {
    const last = this.#lastArrivalNs.get(track);
    const t = last !== undefined && arrivalNs < last + this.#scaleNs ? last + this.#scaleNs : arrivalNs;
    this.#lastArrivalNs.set(track, t);
    return t;
  }

  /** Timecode units for the MKV (absolute: since the epoch; relative: since the stream start). */
  toTimecode(epochNs: bigint): number {
    const base = this.#settings.absoluteFragmentTimes ? 0n : (this.#startNs ?? 0n);
    const rel = epochNs - base;
    return Number((rel >= 0n ? rel : rel - this.#scaleNs + 1n) / this.#scaleNs);
  }

  durationTimecode(durationNs: bigint): number {
    return durationNs > 0n ? Number(durationNs / this.#scaleNs) : 0;
  }
}
