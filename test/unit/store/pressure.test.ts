import { describe, expect, it } from 'vitest';
import { chooseCut, pressureCause, type StoreLevel } from '../../../src/store/pressure.js';

const MB = 1024 * 1024;

function level(over: Partial<StoreLevel>): StoreLevel {
  return { heldBytes: 0, capacityBytes: MB, oldestAgeMs: 0, bufferDurationMs: 180_000, ...over };
}

describe('store pressure', () => {
  it('is under pressure above three quarters of storage-size, or with media older than buffer-duration', () => {
    expect(pressureCause(level({ heldBytes: 0.75 * MB }))).toBeUndefined();
    expect(pressureCause(level({ heldBytes: 0.76 * MB }))).toBe('storage-size');
    expect(pressureCause(level({ oldestAgeMs: 180_000 }))).toBeUndefined();
    expect(pressureCause(level({ oldestAgeMs: 180_001 }))).toBe('buffer-duration');
  });

  it('cuts at the oldest fragment start that brings the store back within both limits', () => {
    const cuts = [
      { position: 100_000, ageMs: 9_000 },
      { position: 300_000, ageMs: 6_000 },
      { position: 500_000, ageMs: 3_000 },
    ];
    // 1 MB written: keeping from 300 000 holds 0.72 MB, from 100 000 too much.
    expect(chooseCut(cuts, 1_000_000, level({ heldBytes: 1_000_000 }))?.position).toBe(300_000);
    // By age: only media younger than 5 s may stay.
    expect(chooseCut(cuts, 600_000, level({ heldBytes: 600_000, bufferDurationMs: 5_000 }))?.position).toBe(500_000);
  });

  it('always keeps the newest fragment, and cuts nothing when there is a single one', () => {
    const cuts = [{ position: 10, ageMs: 50_000 }, { position: 20, ageMs: 40_000 }];
    expect(chooseCut(cuts, 30, level({ bufferDurationMs: 1_000 }))?.position).toBe(20);
    expect(chooseCut([], 30, level({ heldBytes: MB }))).toBeUndefined();
  });
});
