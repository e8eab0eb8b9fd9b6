import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { parseCsvRecords } from '../../lib/csv.ts';
import type { Db } from '../client.ts';
import { municipalities, targetGroups } from '../schema/index.ts';

const here = dirname(fileURLToPath(import.meta.url));

interface MunicipalityRow {
  code: number;
  name: string;
  regionCode: number;
  regionName: string;
}

interface FfbRow {
  ffbCode: string;
  nameDa: string;
  nameEn: string;
  parentFfbCode: string | null;
  level: number;
}

function readMunicipalities(): MunicipalityRow[] {
  return parseCsvRecords(readFileSync(join(here, 'kommuner.csv'), 'utf8')).map((r) => ({
    code: Number(r.kommunekode),
    name: r.name ?? '',
    regionCode: Number(r.regionskode),
    regionName: r.region ?? '',
  }));
}

function readFfbTargetGroups(): FfbRow[] {
  return parseCsvRecords(readFileSync(join(here, 'ffb-maalgrupper.csv'), 'utf8'))
    .map((r) => ({
      ffbCode: r.ffb_code ?? '',
      nameDa: r.name_da ?? '',
      nameEn: r.name_en ?? '',
      parentFfbCode: r.parent_ffb_code || null,
      level: Number(r.level),
    }))
    .sort((a, b) => a.level - b.level);
}

/**
 * Upserts the municipalities and the FFB target-group tree. Idempotent; runs after every migration
 * so a new release of the reference lists reaches existing databases.
 */
export async function seedReferenceData(db: Db): Promise<void> {
  const kommuner = readMunicipalities();
  const ffb = readFfbTargetGroups();
  await db.transaction(async (tx) => {
    await tx
      .insert(municipalities)
      .values(kommuner)
      .onConflictDoUpdate({
        target: municipalities.code,
        set: {
          name: sql`excluded.name`,
          regionCode: sql`excluded.region_code`,
          regionName: sql`excluded.region_name`,
        },
      });
    const idByCode = new Map<string, number>();
    for (const g of ffb) {
      const parentId = g.parentFfbCode ? idByCode.get(g.parentFfbCode) : undefined;
      if (g.parentFfbCode && parentId === undefined) {
        throw new Error(`FFB target group ${g.ffbCode} names an unknown parent ${g.parentFfbCode}`);
      }
      const [row] = await tx
        .insert(targetGroups)
        .values({ ffbCode: g.ffbCode, nameDa: g.nameDa, nameEn: g.nameEn, parentId: parentId ?? null, level: g.level })
        .onConflictDoUpdate({
          target: targetGroups.ffbCode,
          set: { nameDa: g.nameDa, nameEn: g.nameEn, parentId: parentId ?? null, level: g.level },
        })
        .returning({ id: targetGroups.id });
      if (row) idByCode.set(g.ffbCode, row.id);
    }
  });
}
