/**
 * The grant list and its export: a page of the grants matching the filters with the totals of all
 * of them, and the whole filtered list. Part of the grant service (createGrantService spreads these
 * methods in).
 */
import type { Db } from '../../db/client.ts';
import {
  type GrantPageQuery,
  grantsWithPartsByIds,
  type ListedRow,
  listedOf,
  matchingGrantIds,
  searchGrants,
} from './grants.list.repository.ts';
import { type GrantWithParts, withPartsOf } from './grants.repository.ts';
import { listedGrantsOf } from './grants.rules.ts';
import type { Grant, GrantListQuery } from './grants.schemas.ts';

/** How many grants the export reads in one statement. */
const EXPORT_PART = 2000;

/** The names of the rounds and actors of grants listed (for the columns and the export), each once. */
function namesOf(
  rows: (Pick<GrantWithParts, 'roundName' | 'roundYear' | 'actorName' | 'actorCvr'> & {
    grant: { roundId: number; actorId: number };
  })[],
) {
  return {
    rounds: [
      ...new Map(
        rows.map((r) => [r.grant.roundId, { id: r.grant.roundId, name: r.roundName, year: r.roundYear }]),
      ).values(),
    ],
    actors: [
      ...new Map(
        rows.map((r) => [r.grant.actorId, { id: r.grant.actorId, name: r.actorName, cvr: r.actorCvr }]),
      ).values(),
    ],
  };
}

export function createGrantListService(db: Db, toGrants: (rows: GrantWithParts[]) => Grant[]) {
  const listed = (rows: GrantWithParts[]) => ({ items: toGrants(rows), ...namesOf(rows) });

  return {
    /** A page of grants with their parts, as the API gives them, and the totals of all matching. */
    async listGrants(query: GrantListQuery) {
      const { rows, totals } = await searchGrants(db, query);
      return { ...listed(withPartsOf(rows)), ...totals };
    },

    /**
     * A page of grants as the list pages show them (grantsListed), and the totals of all matching;
     * with `menuOf`, the rounds of that municipality for the list's menu (read with the page).
     */
    async listPage(query: GrantPageQuery, menuOf?: number) {
      const { rows, totals, menu } = await searchGrants(db, query, 'listed', menuOf);
      const shown: ListedRow[] = listedOf(rows);
      return { items: listedGrantsOf(shown), ...namesOf(shown), ...totals, roundMenu: menu };
    },

    /**
     * The whole filtered list in the list's order: the ids of the grants matching, then their rows a
     * part at a time. Paged as the list pages, each page counted the totals and sorted every grant
     * matching again: a year of the country's grants (20,000) took 6.4 s (issue 17).
     */
    async exportList(filters: Omit<GrantListQuery, 'limit' | 'offset'>) {
      const ids = await matchingGrantIds(db, filters);
      const read = new Map<number, GrantWithParts>();
      for (let at = 0; at < ids.length; at += EXPORT_PART)
        for (const row of await grantsWithPartsByIds(db, ids.slice(at, at + EXPORT_PART))) read.set(row.grant.id, row);
      // A grant removed since its id was read is left out.
      return { ...listed(ids.flatMap((id) => read.get(id) ?? [])), total: ids.length };
    },
  };
}
