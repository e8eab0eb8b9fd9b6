import type { FastifyInstance } from 'fastify';
import type { NamedRound } from './grants.rounds.repository.ts';

/** A round whose name a page already has. */
type Known = { id: number; name: string; year: number };

/** The names the grant pages and the round pages show, read through the services. */
export function grantPageNames({ grants, municipalities, targetGroups }: FastifyInstance['services']) {
  /**
   * Names for the pages: municipalities, the target-group tree, the rounds of one municipality (for
   * the menus), and the names of the given rounds (for the rows shown). Rounds come without totals.
   * The menu's rounds are read here when `menuOf` names a municipality, or come being read beside a
   * page (the grant list's). The rounds already `known` may come with a page still being read: the
   * menus are read meanwhile.
   */
  async function names(
    menuOf?: number | null | Promise<NamedRound[]>,
    roundIds: number[] = [],
    known: Known[] | Promise<Known[]> = [],
  ) {
    const menus = Promise.all([
      municipalities.all(),
      municipalities.names(),
      targetGroups.tree(),
      menuOf == null
        ? Promise.resolve([])
        : typeof menuOf === 'number'
          ? grants.roundList({ municipalityCode: menuOf })
          : menuOf,
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
