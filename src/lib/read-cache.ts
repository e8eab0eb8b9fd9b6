import { LRUCache } from 'lru-cache';
import { outsideStatementScope } from './statement-scope.ts';
import type { WriteClock } from './write-tags.ts';

/**
 * The one cache for expensive reads (reports, navigation counts, reference data, rendered pages), on
 * lru-cache. Each entry names the tags it depends on (lib/write-tags.ts), and is good while no write
 * touching one of them has been seen since its load began, and for at most ttlMs: the bound on
 * staleness should a notification be lost or a change be made without the app. Concurrent reads of
 * the same key share one load. Values are shared: callers must not change them.
 *
 * At most `max` entries are kept, and, when `weigh` is given, at most `maxWeight` in all (for
 * example bytes of rendered HTML); the least recently used go first. A ttlMs of 0 keeps nothing.
 */
export interface ReadCache<V> {
  /** The value of key, loaded anew unless kept; `tags` may be worked out from the value loaded. */
  get(key: string, tags: Tags<V>, load: () => Promise<V>): Promise<V>;
  readonly size: number;
  /** The sum of the kept values' weights (0 without `weigh`). */
  readonly weight: number;
}

type Tags<V> = readonly string[] | ((value: V) => readonly string[]);

export interface ReadCacheOptions<V> {
  max: number;
  ttlMs: number;
  weigh?: (value: V) => number;
  maxWeight?: number;
}

interface Entry<V> {
  /** The write count when the load began. */
  since: number;
  tags: readonly string[];
  readonly value: Promise<V>;
  weight: number;
}

export function createReadCache<V>(writes: WriteClock, options: ReadCacheOptions<V>): ReadCache<V> {
  const weighed = options.weigh !== undefined;
  const entries = new LRUCache<string, Entry<V>>({
    max: options.max,
    ttl: Math.max(options.ttlMs, 1),
    ...(weighed
      ? { maxSize: options.maxWeight ?? Number.MAX_SAFE_INTEGER, sizeCalculation: (entry) => entry.weight }
      : {}),
  });
  return {
    get(key, tags, load) {
      if (options.ttlMs <= 0) return load();
      const hit = entries.get(key);
      if (hit && !writes.touchedSince(hit.tags, hit.since)) return hit.value;
      // Loaded for everyone who asks meanwhile, so no single request's end may cancel its statements.
      const entry: Entry<V> = {
        since: writes.now(),
        tags: typeof tags === 'function' ? [] : tags,
        value: outsideStatementScope(load),
        weight: 1,
      };
      entries.set(key, entry);
      entry.value.then(
        (value) => {
          if (typeof tags === 'function') entry.tags = tags(value);
          if (!options.weigh || entries.peek(key) !== entry) return;
          entry.weight = Math.max(1, options.weigh(value));
          // Set again to be weighed (a value heavier than maxWeight is not kept).
          entries.set(key, entry, { noUpdateTTL: true });
        },
        () => {
          if (entries.peek(key) === entry) entries.delete(key);
        },
      );
      return entry.value;
    },
    get size() {
      return entries.size;
    },
    get weight() {
      return weighed ? entries.calculatedSize : 0;
    },
  };
}
