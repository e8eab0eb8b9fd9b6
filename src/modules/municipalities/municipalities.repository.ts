import { asc } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { municipalities } from '../../db/schema/index.ts';

export type Municipality = typeof municipalities.$inferSelect;

export async function listMunicipalities(db: Queryable): Promise<Municipality[]> {
  return db.select().from(municipalities).orderBy(asc(municipalities.name));
}
