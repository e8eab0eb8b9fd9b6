import type { Database } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { notFound } from '../../lib/errors.ts';
import type { Page } from '../../lib/pagination.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import { roundExtras } from '../grants/grants.rounds.repository.ts';
import { roundPhase, roundTakesApplications } from '../grants/grants.rules.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import type { TargetGroupService } from '../target-groups/target-groups.service.ts';
import {
  distributionList,
  municipalitiesWithPublicRounds,
  publicRoundRow,
  publicRoundRows,
} from './public.repository.ts';
import type { PublicRound, PublicRoundDetail, PublicRoundQuery, PublicTargetGroup } from './public.schemas.ts';

/**
 * The § 18 rounds as anyone may see them, signed in or not: every municipality's rounds once they
 * have an application window, and a decided round's distribution list. Nothing here depends on who
 * asks, and nothing names a person.
 */
export function createPublicService(
  database: Database,
  municipalities: MunicipalityService,
  targetGroups: TargetGroupService,
) {
  const { db } = database;

  async function toPublic(rows: RoundRow[], today: string): Promise<PublicRound[]> {
    const [extras, byCode, groups] = await Promise.all([
      roundExtras(
        db,
        rows.map((r) => r.id),
      ),
      municipalities.byCode(),
      groupsById(),
    ]);
    return rows.map((r) => {
      const x = extras.get(r.id);
      return {
        id: r.id,
        municipalityCode: r.municipalityCode,
        municipalityName: byCode.get(r.municipalityCode)?.name ?? String(r.municipalityCode),
        year: r.year,
        name: r.name,
        description: r.description,
        // Every row read here is public, so it has a phase.
        phase: roundPhase(r, today) ?? 'upcoming',
        openForApplications: roundTakesApplications(r, today),
        budgetOre: r.budgetOre,
        applicationsOpenOn: r.applicationsOpenOn,
        applicationsCloseOn: r.applicationsCloseOn,
        decisionOn: r.decisionOn,
        targetGroups: pick(groups, x?.targetGroupIds ?? []),
        criteria: x?.criteria ?? [],
      };
    });
  }

  async function groupsById(): Promise<Map<number, PublicTargetGroup>> {
    return new Map(
      (await targetGroups.list()).map((g) => [
        g.id,
        { id: g.id, ffbCode: g.ffbCode, nameDa: g.nameDa, nameEn: g.nameEn },
      ]),
    );
  }

  const pick = (groups: Map<number, PublicTargetGroup>, ids: number[]) =>
    ids.flatMap((id) => {
      const g = groups.get(id);
      return g ? [g] : [];
    });

  return {
    /** The municipalities that have public rounds, with how many. */
    municipalities: () => municipalitiesWithPublicRounds(db),

    /** The municipality by its code; 404 for a code that is none. */
    async municipality(code: number) {
      const m = (await municipalities.byCode()).get(code);
      if (!m) throw notFound('municipality', code);
      return { code: m.code, name: m.name, regionName: m.regionName };
    },

    /** One page of the public rounds (of one municipality), newest year first. */
    async rounds(query: PublicRoundQuery, today = danishDate()): Promise<Page<PublicRound>> {
      const { rows, total } = await publicRoundRows(db, query, query);
      return { items: await toPublic(rows, today), total };
    },

    /** A public round, with its distribution list once it is decided; 404 for one that is not public. */
    async round(id: number, today = danishDate()): Promise<PublicRoundDetail> {
      const row = await publicRoundRow(db, id);
      if (!row) throw notFound('grant_round', id);
      const [round] = await toPublic([row], today);
      if (!round) throw notFound('grant_round', id);
      if (round.phase !== 'decided') return { ...round, distribution: null };
      const [list, groups] = await Promise.all([distributionList(db, id), groupsById()]);
      return {
        ...round,
        distribution: list.map((g) => ({
          organisation: g.actorName,
          title: g.title,
          purpose: g.purpose,
          kind: g.kind,
          awardedOre: g.awardedOre,
          targetGroups: pick(groups, g.targetGroupIds),
        })),
      };
    },
  };
}
export type PublicService = ReturnType<typeof createPublicService>;
