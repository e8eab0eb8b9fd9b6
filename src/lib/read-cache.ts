import { outsideStatementScope } from './statement-scope.ts';

/**
 * A small cache for expensive reads (reports, navigation counts, reference data, rendered pages). An
 * entry is good while no write has been committed since it was read (the database's write generation,
 * which also counts the writes other processes announce) and for at most ttlMs: the bound on
 * staleness should a notification be lost or a change be made without the app. Concurrent reads of
 * the same key share one load. Values are shared: callers must not change them.
 *
 * At most `max` entries are kept, and, when `weigh` is given, at most `maxWeight` in all (for
 * example bytes of rendered HTML); the least recently used go first. A ttlMs of 0 keeps nothing.
 */
export interface ReadCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  readonly size: number;
  /** The sum of the kept values' weights (0 without `weigh`). */
  readonly weight: number;
}

export interface ReadCacheOptions<V> {
  max: number;
  ttlMs: number;
  weigh?: (value: V) => number;
  maxWeight?: number;
}

interface Entry<V> {
  gen: number;
  at: number;
  value: Promise<V>;
  weight: number;
}

export function createReadCache<V>(generation: () => number, options: ReadCacheOptions<V>): ReadCache<V> {
  const entries = new Map<string, Entry<V>>();
  let total = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    total -= entry.weight;
  };
  const trim = () => {
    const maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY;
    while (entries.size > options.max || total > maxWeight) drop(entries.keys().next().value as string);
  };
  return {
    get(key, load) {
      if (options.ttlMs <= 0) return load();
      const now = Date.now();
      const gen = generation();
      const hit = entries.get(key);
      if (hit && hit.gen === gen && now - hit.at < options.ttlMs) {
        // Most recently used last: the oldest is dropped first.
        entries.delete(key);
        entries.set(key, hit);
        return hit.value;
      }
      drop(key);
      // Loaded for everyone who asks meanwhile, so no single request's end may cancel its statements.
      const entry: Entry<V> = { gen, at: now, value: outsideStatementScope(load), weight: 0 };
      entries.set(key, entry);
      entry.value.then(
        (value) => {
          if (!options.weigh || entries.get(key) !== entry) return;
          entry.weight = options.weigh(value);
          total += entry.weight;
          trim();
        },
        () => {
          if (entries.get(key) === entry) drop(key);
        },
      );
      trim();
      return entry.value;
    },
    get size() {
      return entries.size;
    },
    get weight() {
      return total;
    },
  };
}
