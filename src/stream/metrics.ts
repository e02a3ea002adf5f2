/**
 * Stream and client metrics at every key frame, as the official element's get-kvs-metrics
 * reads them (the guide's StreamMetrics and ClientMetrics, ~L4060): the element emits them
 * with the stream-client-metric signal and as an element message when get-kvs-metrics is on.
 *
 * The ring is the content store, so its positions give the sizes: the "current view" is what
 * is not sent yet (from this frame to the newest written), the "overall view" what is held
 * until KVS acknowledges it (from the oldest unreleased record). One element has one stream,
 * so the client totals equal the stream's figures, as with the official element (one producer
 * client per element).
 */
import { FrameFlag, type RingRecord } from '../ring/ring.js';
import type { StructureValue } from '../worker/report.js';

/** With recalculate-metrics=false, figures are recalculated at most this often. */
export const METRICS_RECALCULATE_INTERVAL_MS = 1000;
/** Bytes one entry of the key-frame index takes (position + pts), for total-content-views-size. */
const INDEX_ENTRY_BYTES = 16;
const TIME_NONE = -1n;

export interface RingPositions {
  read: number;
  released: number;
  writtenForward: number;
  capacityForward: number;
}

export interface MetricsOptions {
  /** recalculate-metrics: recalculate for every report (true) or at most once per interval. */
  recalculate: boolean;
  /** The track whose key frames trigger a report (video, or the only track). */
  keyFrameTrack: number | undefined;
  nowMs?: () => number;
  /** CLOCK_MONOTONIC now, in ns (the clock of a frame record's arrival time). */
  monotonicNs?: () => bigint;
}

interface KeyFrameMark {
  position: number;
  ptsNs: bigint;
}

export class StreamMetrics {
  readonly #options: MetricsOptions;
  readonly #nowMs: () => number;
  readonly #monotonicNs: () => bigint;
  /** Key frames still held in the ring, oldest first: they date the overall view. */
  #marks: KeyFrameMark[] = [];
  #first = true;
  #nextPosition = 0;
  #framesTotal = 0;
  #lastCalcMs: number | undefined;
  #lastCalcFrames = 0;
  #lastCalcRead = 0;
  #figures: Record<string, StructureValue> = {};

  constructor(options: MetricsOptions) {
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#monotonicNs = options.monotonicNs ?? (() => process.hrtime.bigint());
  }

  /**
   * A frame record read from the ring. Returns the report to send when it
   * is a key frame of the key-frame track, or the stream's first frame.
   */
  onFrame(rec: RingRecord, positions: RingPositions): Record<string, StructureValue> | undefined {
    // A frame read again (a session that was not open yet, a replay) was counted already.
    if (rec.position < this.#nextPosition) return undefined;
    this.#nextPosition = rec.next;
    this.#framesTotal++;
    const keyframe = (rec.flags & FrameFlag.KEY) !== 0 &&
      (this.#options.keyFrameTrack === undefined || rec.track === this.#options.keyFrameTrack);
    const ptsNs = rec.pts !== TIME_NONE ? rec.pts : rec.dts;
    if (keyframe && ptsNs !== TIME_NONE) this.#marks.push({ position: rec.position, ptsNs });
    if (!keyframe && !this.#first) return undefined;
    const onFirstFrame = this.#first;
    this.#first = false;

    const now = this.#nowMs();
    if (this.#options.recalculate || this.#lastCalcMs === undefined ||
      now - this.#lastCalcMs >= METRICS_RECALCULATE_INTERVAL_MS) {
      this.#figures = this.#calculate(rec, ptsNs, positions, now);
    }
    return { ...this.#figures, 'frame-pts': ptsNs, 'on-first-frame': onFirstFrame };
  }

  #calculate(rec: RingRecord, ptsNs: bigint, p: RingPositions, now: number): Record<string, StructureValue> {
    while (this.#marks.length > 1 && this.#marks[0]!.position < p.released) this.#marks.shift();
    const elapsedS = this.#lastCalcMs === undefined ? 0 : (now - this.#lastCalcMs) / 1000;
    const frameRate = elapsedS > 0 ? (this.#framesTotal - this.#lastCalcFrames) / elapsedS : 0;
    // Everything before the read cursor has gone to the socket (or is being replayed).
    const transferRate = elapsedS > 0 ? Math.max(0, p.read - this.#lastCalcRead) / elapsedS : 0;
    this.#lastCalcMs = now;
    this.#lastCalcFrames = this.#framesTotal;
    this.#lastCalcRead = p.read;

    const allocated = p.writtenForward - p.released;
    const oldest = this.#marks[0];
    const arrivalAgeNs = rec.aux > 0n ? this.#monotonicNs() - rec.aux : 0n;
    return {
      // ClientMetrics
      'content-store-size': p.capacityForward,
      'content-store-available-size': p.capacityForward - allocated,
      'content-store-allocated-size': allocated,
      'total-content-views-size': this.#marks.length * INDEX_ENTRY_BYTES,
      'total-frame-rate': Math.round(frameRate),
      'total-transfer-rate': Math.round(transferRate),
      // StreamMetrics: this frame is the oldest not yet sent.
      'current-view-duration-ms': Number(arrivalAgeNs > 0n ? arrivalAgeNs / 1_000_000n : 0n),
      'overall-view-duration-ms': oldest && ptsNs !== TIME_NONE && ptsNs >= oldest.ptsNs
        ? Number((ptsNs - oldest.ptsNs) / 1_000_000n) : 0,
      'current-view-size': Math.max(0, p.writtenForward - rec.position),
      'overall-view-size': allocated,
      'current-frame-rate': Math.round(frameRate),
      'current-transfer-rate': Math.round(transferRate),
    };
  }
}
