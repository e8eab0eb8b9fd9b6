import type { FastifyInstance } from 'fastify';

/** A round whose name a page already has. */
type Known = { id: number; name: string; year: number };

/** The names the grant pages and the round pages show, read through the services. */
export function grantPageNames({ grants, municipalities, targetGroups }: FastifyInstance['services']) {
  /**
   * Names for the pages: municipalities, the target-group tree, the rounds of one municipality (for
   * the menus), and the names of the given rounds (for the rows shown). Rounds come without totals.
   * The rounds already `known` may come with a page still being read: the menus are read meanwhile.
   */
  async function names(
    municipalityCode?: number | null,
    roundIds: number[] = [],
    known: Known[] | Promise<Known[]> = [],
  ) {
    const menus = Promise.all([
      municipalities.all(),
      municipalities.names(),
      targetGroups.tree(),
      municipalityCode == null ? Promise.resolve([]) : grants.roundList({ municipalityCode }),
    ]);
    // Should `known` fail, nobody awaits the menus: their own failure must not go unhandled.
    menus.catch(() => {});
    const knownRounds = await known;
    const missing = [...new Set(roundIds)].filter((id) => !knownRounds.some((r) => r.id === id));
    const [[allMunicipalities, municipalityNames, tree, rounds], shown] = await Promise.all([
      menus,
      missing.length ? grants.roundList({ ids: missing }) : Promise.resolve([]),
    ]);
    return {
      municipalities: allMunicipalities,
      municipalityNames,
      targetGroupTree: tree,
      rounds,
      roundNames: new Map([...rounds, ...knownRounds, ...shown].map((r) => [r.id, `${r.name} (${r.year})`])),
    };
  }

  return { names };
}
