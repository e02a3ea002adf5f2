import { describe, expect, it } from 'vitest';
import { TimestampMapper, type TimestampSettings } from '../../../src/stream/timestamps.js';

const base: TimestampSettings = { streamingType: 'realtime', useOriginalPts: false, frameTimecodes: true,
  absoluteFragmentTimes: true, fileStartTimeS: 0n, timecodeScaleMs: 1 };
const NOW = 1_700_000_000_000_000_000n;

describe('TimestampMapper', () => {
  it('rebases running-time PTS onto the wall clock at the first frame (realtime)', () => {
    const m = new TimestampMapper(base);
    expect(m.epochNs(5_000_000_000n, -1n, NOW)).toBe(NOW);
    expect(m.epochNs(5_033_000_000n, -1n, NOW + 999n)).toBe(NOW + 33_000_000n);
    expect(m.producerStartMs).toBe(1_700_000_000_000);
    expect(m.toTimecode(NOW + 33_000_000n)).toBe(1_700_000_000_033);
  });

  it('adds file-start-time to PTS in offline mode', () => {
    const m = new TimestampMapper({ ...base, streamingType: 'offline', fileStartTimeS: 1_600_000_000n });
    expect(m.epochNs(2_000_000_000n, -1n, NOW)).toBe(1_600_000_002_000_000_000n);
    expect(m.producerStartMs).toBe(1_600_000_000_000);
  });

  it('uses DTS when PTS is missing, and arrival time when both are', () => {
    const m = new TimestampMapper(base);
    expect(m.epochNs(-1n, 1_000_000n, NOW)).toBe(NOW);
    expect(m.epochNs(-1n, -1n, NOW + 5n)).toBe(NOW + 5n);
  });

  it('takes epoch PTS as is with use-original-pts, and refuses running times', () => {
    const m = new TimestampMapper({ ...base, useOriginalPts: true });
    expect(m.epochNs(NOW + 7n, -1n, 0n)).toBe(NOW + 7n);
    expect(() => m.epochNs(5_000_000_000n, -1n, NOW)).toThrow(/not an epoch time/);
  });

  it('stamps with the arrival time when frame-timecodes is false', () => {
    const m = new TimestampMapper({ ...base, frameTimecodes: false });
    expect(m.epochNs(42n, 42n, NOW + 3n)).toBe(NOW + 3n);
  });

  it('gives relative timecodes when absolute-fragment-times is false', () => {
    const m = new TimestampMapper({ ...base, absoluteFragmentTimes: false });
    m.epochNs(0n, -1n, NOW);
    expect(m.timecodeType).toBe('RELATIVE');
    expect(m.toTimecode(NOW + 2_500_000_000n)).toBe(2500);
  });

  it('scales timecodes by timecode-scale', () => {
    const m = new TimestampMapper({ ...base, timecodeScaleMs: 10 });
    expect(m.toTimecode(1_000_000_000n)).toBe(100);
    expect(m.durationTimecode(33_000_000n)).toBe(3);
  });
});
