import type { Database } from '../../db/client.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { listMunicipalities, type Municipality } from './municipalities.repository.ts';

/** The 98 municipalities hardly ever change: read once, and again when one is written (or each hour). */
export function createMunicipalityService(database: Database) {
  const cache = createReadCache<Municipality[]>(database.writes, { max: 1, ttlMs: 3_600_000 });
  const tags = [writeTag.municipalities];
  const all = () => cache.get('all', tags, () => listMunicipalities(database.db));
  return {
    all,
    async byCode(): Promise<Map<number, Municipality>> {
      return new Map((await all()).map((m) => [m.code, m]));
    },
    async unknownCodes(codes: number[]): Promise<number[]> {
      const known = await this.byCode();
      return codes.filter((c) => !known.has(c));
    },
  };
}
export type MunicipalityService = ReturnType<typeof createMunicipalityService>;
