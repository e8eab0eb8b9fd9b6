import type { Database } from '../../db/client.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { listMunicipalities, type Municipality } from './municipalities.repository.ts';

/** The municipalities as read once: the list, and the lookups made from it with it. */
interface Known {
  all: Municipality[];
  byCode: ReadonlyMap<number, Municipality>;
  names: Readonly<Record<number, string>>;
}

/**
 * The 98 municipalities hardly ever change: read once, and again when one is written (or each hour).
 * The lookups by code are made once with the list, not for each page that shows a name (a new object
 * of 98 names for every request was a tenth of a grant list's garbage, issue 17). They are shared:
 * callers must not change them.
 */
export function createMunicipalityService(database: Database) {
  const cache = createReadCache<Known>(database.writes, { max: 1, ttlMs: 3_600_000 });
  const tags = [writeTag.municipalities];
  const known = () =>
    cache.get('all', tags, async () => {
      const all = await listMunicipalities(database.db);
      return {
        all,
        byCode: new Map(all.map((m) => [m.code, m])),
        names: Object.fromEntries(all.map((m) => [m.code, m.name])),
      };
    });
  return {
    async all(): Promise<Municipality[]> {
      return (await known()).all;
    },
    async byCode(): Promise<ReadonlyMap<number, Municipality>> {
      return (await known()).byCode;
    },
    /** Each municipality's name by its code. */
    async names(): Promise<Readonly<Record<number, string>>> {
      return (await known()).names;
    },
    async unknownCodes(codes: number[]): Promise<number[]> {
      const { byCode } = await known();
      return codes.filter((c) => !byCode.has(c));
    },
  };
}
export type MunicipalityService = ReturnType<typeof createMunicipalityService>;
