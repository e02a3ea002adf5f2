import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, THROTTLED_BACKOFF, retryDelayMs } from '../../../src/stream/retry.js';

const network = { code: 'NETWORK_ERROR' };
const throttled = { code: 'CLIENT_LIMIT_EXCEEDED' };

describe('retry delays', () => {
  it('double per attempt up to a ceiling, with half of each delay random', () => {
    expect(retryDelayMs(network, 0, () => 0)).toBe(DEFAULT_BACKOFF.firstMs / 2);
    expect(retryDelayMs(network, 0, () => 1)).toBe(DEFAULT_BACKOFF.firstMs);
    expect(retryDelayMs(network, 3, () => 1)).toBe(DEFAULT_BACKOFF.firstMs * 8);
    expect(retryDelayMs(network, 20, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(retryDelayMs(network, 20, () => 0)).toBe(DEFAULT_BACKOFF.maxMs / 2);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(network, 4)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('back off longer when the service throttles', () => {
    expect(retryDelayMs(throttled, 0, () => 1)).toBe(THROTTLED_BACKOFF.firstMs);
    expect(retryDelayMs({ code: 'CONNECTION_LIMIT_EXCEEDED' }, 10, () => 1)).toBe(THROTTLED_BACKOFF.maxMs);
    expect(retryDelayMs({ code: 'THROTTLED' }, 1, () => 0)).toBe(THROTTLED_BACKOFF.firstMs);
  });

  it('try fresh credentials at once, then back off like any other error', () => {
    const expired = { code: 'EXPIRED_TOKEN', refreshCredentials: true };
    expect(retryDelayMs(expired, 0)).toBe(0);
    expect(retryDelayMs(expired, 1, () => 1)).toBe(DEFAULT_BACKOFF.firstMs * 2);
  });
});
