/**
 * Frame latency: from the element receiving a buffer (CLOCK_MONOTONIC ns stamped in the
 * ring record) to the frame's last byte being handed to the socket. Node's hrtime is
 * CLOCK_MONOTONIC too, so the two processes' clocks agree.
 */

/** Samples kept: an hour at 30 fps; beyond it, every other sample is overwritten. */
const MAX_SAMPLES = 108_000;

export class LatencyRecorder {
  /** Per queued frame: body offset of its last byte, and its element timestamp. */
  #endOffsets: number[] = [];
  #stamps: bigint[] = [];
  #head = 0;
  #written = 0;
  #samplesMs: number[] = [];

  newSession(): void {
    this.#endOffsets = [];
    this.#stamps = [];
    this.#head = 0;
    this.#written = 0;
  }

  frameQueued(endOffset: number, elementMonotonicNs: bigint): void {
    if (elementMonotonicNs <= 0n) return;
    this.#endOffsets.push(endOffset);
    this.#stamps.push(elementMonotonicNs);
  }

  bytesWritten(bytes: number): void {
    this.#written += bytes;
    if (this.#head >= this.#endOffsets.length) return;
    const now = process.hrtime.bigint();
    while (this.#head < this.#endOffsets.length && this.#endOffsets[this.#head]! <= this.#written) {
      const ms = Number(now - this.#stamps[this.#head]!) / 1e6;
      if (this.#samplesMs.length < MAX_SAMPLES) this.#samplesMs.push(ms);
      else this.#samplesMs[Math.floor(Math.random() * MAX_SAMPLES)] = ms;
      this.#head++;
    }
    if (this.#head > 4096) {
      this.#endOffsets = this.#endOffsets.slice(this.#head);
      this.#stamps = this.#stamps.slice(this.#head);
      this.#head = 0;
    }
  }

  get count(): number {
    return this.#samplesMs.length;
  }

  /** The q-quantile (0..1) in ms, or undefined without samples. */
  quantile(q: number): number | undefined {
    if (this.#samplesMs.length === 0) return undefined;
    const sorted = [...this.#samplesMs].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[index];
  }
}
