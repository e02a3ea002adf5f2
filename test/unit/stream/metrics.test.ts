import { describe, expect, it } from 'vitest';
import { FrameFlag, type RingRecord } from '../../../src/ring/ring.js';
import { METRICS_RECALCULATE_INTERVAL_MS, StreamMetrics } from '../../../src/stream/metrics.js';

const CAPACITY = 10 * 1024 * 1024;

function frame(position: number, ptsMs: number, key: boolean, track = 1): RingRecord {
  return { type: 3, track, flags: key ? FrameFlag.KEY : 0, pts: BigInt(ptsMs) * 1_000_000n, dts: BigInt(ptsMs) * 1_000_000n,
    duration: -1n, aux: 0n, payload: new Uint8Array(0), position, next: position + 1000 } as unknown as RingRecord;
}

function positions(read: number, released: number, written: number) {
  return { read, released, writtenForward: written, capacityForward: CAPACITY };
}

describe('stream metrics', () => {
  it('reports at the first frame and at every key frame of the key-frame track', () => {
    const m = new StreamMetrics({ recalculate: true, keyFrameTrack: 1, nowMs: () => 0 });
    const reports = [
      m.onFrame(frame(0, 0, true), positions(1000, 0, 5000)),
      m.onFrame(frame(1000, 33, false), positions(2000, 0, 5000)),
      m.onFrame(frame(2000, 40, true, 2), positions(3000, 0, 5000)),
      m.onFrame(frame(3000, 500, true), positions(4000, 0, 5000)),
    ];
    expect(reports.map((r) => r?.['on-first-frame'])).toEqual([true, undefined, undefined, false]);
    expect(reports[3]).toMatchObject({ 'frame-pts': 500_000_000n, 'content-store-size': CAPACITY,
      'content-store-allocated-size': 5000, 'content-store-available-size': CAPACITY - 5000,
      'current-view-size': 2000, 'overall-view-size': 5000, 'overall-view-duration-ms': 500 });
  });

  it('counts a frame read again (requeued or replayed) once', () => {
    const m = new StreamMetrics({ recalculate: true, keyFrameTrack: 1, nowMs: () => 0 });
    expect(m.onFrame(frame(0, 0, true), positions(1000, 0, 1000))).toBeDefined();
    expect(m.onFrame(frame(0, 0, true), positions(1000, 0, 1000))).toBeUndefined();
  });

  it('dates the overall view from the oldest key frame not yet released, and measures rates between reports', () => {
    let now = 0;
    const m = new StreamMetrics({ recalculate: true, keyFrameTrack: 1, nowMs: () => now });
    m.onFrame(frame(0, 0, true), positions(1000, 0, 1000));
    now = 1000;
    m.onFrame(frame(1000, 1000, true), positions(2000, 0, 2000));
    now = 2000;
    const r = m.onFrame(frame(2000, 2000, true), positions(3000, 1000, 3000))!;
    expect(r['overall-view-duration-ms']).toBe(1000);
    expect(r['current-frame-rate']).toBe(1);
    expect(r['current-transfer-rate']).toBe(1000);
  });

  it('with recalculate-metrics=false recalculates at most once per interval', () => {
    let now = 0;
    const m = new StreamMetrics({ recalculate: false, keyFrameTrack: 1, nowMs: () => now });
    const first = m.onFrame(frame(0, 0, true), positions(1000, 0, 1000))!;
    now = METRICS_RECALCULATE_INTERVAL_MS / 2;
    const second = m.onFrame(frame(1000, 500, true), positions(2000, 0, 9000))!;
    expect(second['content-store-allocated-size']).toBe(first['content-store-allocated-size']);
    expect(second['frame-pts']).toBe(500_000_000n);
    now = METRICS_RECALCULATE_INTERVAL_MS;
    const third = m.onFrame(frame(2000, 1000, true), positions(3000, 0, 9000))!;
    expect(third['content-store-allocated-size']).toBe(9000);
  });
});
