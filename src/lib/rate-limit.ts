/**
 * A fixed-window counter per key (an IP address, an e-mail address), kept in this process's memory.
 * `take` counts one attempt and says whether it is within the limit; it is synchronous, so attempts
 * arriving at once in one process are counted one by one and a burst cannot slip past the limit.
 * On several processes each keeps its own count: the limit then holds per process (see
 * docs/applications.md). At most maxKeys keys are kept; the oldest windows go first.
 */
export interface RateLimiter {
  /** Counts an attempt for key at `now` (ms); false once the window's limit is used up. */
  take(key: string, now?: number): boolean;
  /** The attempts left for key in its current window. */
  left(key: string, now?: number): number;
}

export function createRateLimiter(options: { limit: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const { limit, windowMs } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  // Insertion order is the order windows began in: a key whose window ended is moved to the end.
  const windows = new Map<string, { startedAt: number; count: number }>();

  function current(key: string, now: number) {
    const w = windows.get(key);
    if (w && now - w.startedAt < windowMs) return w;
    if (w) windows.delete(key);
    return undefined;
  }

  return {
    take(key, now = Date.now()) {
      let w = current(key, now);
      if (!w) {
        w = { startedAt: now, count: 0 };
        windows.set(key, w);
        while (windows.size > maxKeys) {
          const oldest = windows.keys().next().value as string;
          windows.delete(oldest);
        }
      }
      if (w.count >= limit) return false;
      w.count += 1;
      return true;
    },
    left(key, now = Date.now()) {
      return limit - (current(key, now)?.count ?? 0);
    },
  };
}
