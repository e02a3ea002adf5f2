/**
 * Rate limiting for the documented service limits (Kinesis Video Streams Limits, L5898–6010):
 * a sliding one-second window for "N TPS" limits and a token bucket for byte rates.
 */

export type WindowLimiter = {
  /** Records a call for `key` unless `limit` calls already happened in the last window. */
  tryAcquire(key: string, limit: number, nowMs: number): boolean;
};

export function createWindowLimiter(windowMs = 1000): WindowLimiter {
  const calls = new Map<string, number[]>();
  return {
    tryAcquire(key, limit, nowMs) {
      let list = calls.get(key);
      if (!list) {
        list = [];
        calls.set(key, list);
      }
      while (list.length > 0 && list[0]! <= nowMs - windowMs) list.shift();
      if (list.length >= limit) return false;
      list.push(nowMs);
      return true;
    },
  };
}

export type TokenBucket = {
  /** Takes `n` tokens (may go negative); returns how long to wait (ms) until the debt is repaid. */
  take(n: number, nowMs: number): number;
  /** True while the bucket is in debt (the rate was exceeded recently). */
  inDebt(nowMs: number): boolean;
  /** Takes `n` tokens only if that many are available (quota semantics: no debt). */
  tryTake(n: number, nowMs: number): boolean;
};

/** `ratePerSecond` tokens per second, holding at most `burst` tokens (default: one second's worth). */
export function createTokenBucket(ratePerSecond: number, burst = ratePerSecond): TokenBucket {
  let tokens = burst;
  let lastMs: number | undefined;
  const refill = (nowMs: number): void => {
    if (lastMs !== undefined && nowMs > lastMs) tokens = Math.min(burst, tokens + ((nowMs - lastMs) * ratePerSecond) / 1000);
    lastMs = nowMs;
  };
  return {
    take(n, nowMs) {
      refill(nowMs);
      tokens -= n;
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / ratePerSecond);
    },
    inDebt(nowMs) {
      refill(nowMs);
      return tokens < 0;
    },
    tryTake(n, nowMs) {
      refill(nowMs);
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
  };
}
