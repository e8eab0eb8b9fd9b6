import type { Db } from '../../db/client.ts';
import { listMunicipalities, type Municipality } from './municipalities.repository.ts';

/** The 98 municipalities never change while the app runs, so they are read once. */
export function createMunicipalityService(db: Db) {
  let cache: Promise<Municipality[]> | undefined;
  const all = () => {
    cache ??= listMunicipalities(db).catch((err) => {
      cache = undefined;
      throw err;
    });
    return cache;
  };
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
