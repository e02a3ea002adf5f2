/**
 * How long a stream waits before it tries again after a retriable error.
 *
 * Exponential backoff with jitter, so that cameras that lost the same network do not all come
 * back in the same millisecond: half the delay is fixed, half random ("equal jitter"). Throttling
 * (ClientLimitExceeded, ConnectionLimitExceeded, 429) starts higher and goes further, since
 * retrying quickly is what the service asks producers not to do; fresh credentials are tried at
 * once, because the refusal was about the old ones.
 */
import type { KvsError } from '../aws/errors.js';

export interface BackoffPolicy {
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { firstMs: 250, maxMs: 10_000 };
export const THROTTLED_BACKOFF: BackoffPolicy = { firstMs: 1_000, maxMs: 30_000 };

const THROTTLING_CODES = new Set(['CLIENT_LIMIT_EXCEEDED', 'CONNECTION_LIMIT_EXCEEDED', 'THROTTLED']);

export function isThrottling(error: Pick<KvsError, 'code'>): boolean {
  return THROTTLING_CODES.has(error.code);
}

/** The wait before retry number `attempt` (0 for the first retry) after `error`. */
export function retryDelayMs(error: Pick<KvsError, 'code' | 'refreshCredentials'>, attempt: number,
  random: () => number = Math.random): number {
  if (error.refreshCredentials && attempt === 0) return 0;
  const policy = isThrottling(error) ? THROTTLED_BACKOFF : DEFAULT_BACKOFF;
  const ceiling = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
