/**
 * A small cache for expensive reads (reports, navigation counts, reference data). An entry is good
 * while no write has been committed since it was read (the database's write generation, which also
 * counts the writes other processes announce) and for at most ttlMs: the bound on staleness should a
 * notification be lost or a change be made without the app. Concurrent reads of the same key share
 * one load. Values are shared: callers must not change them.
 */
export interface ReadCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  readonly size: number;
}

export function createReadCache<V>(generation: () => number, options: { max: number; ttlMs: number }): ReadCache<V> {
  const entries = new Map<string, { gen: number; at: number; value: Promise<V> }>();
  return {
    get(key, load) {
      const now = Date.now();
      const gen = generation();
      const hit = entries.get(key);
      if (hit && hit.gen === gen && now - hit.at < options.ttlMs) {
        // Most recently used last: the oldest is dropped first.
        entries.delete(key);
        entries.set(key, hit);
        return hit.value;
      }
      const entry = { gen, at: now, value: load() };
      entries.delete(key);
      entries.set(key, entry);
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      while (entries.size > options.max) entries.delete(entries.keys().next().value as string);
      return entry.value;
    },
    get size() {
      return entries.size;
    },
  };
}
