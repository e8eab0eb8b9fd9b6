import type { Database } from '../../db/client.ts';
import { AppError, notFound, validationFailed } from '../../lib/errors.ts';
import { formatMoney } from '../../lib/money.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import { openGrants } from './reports.open-data.repository.ts';
import {
  needByGroup,
  type ProportionalityRow,
  proportionality,
  type ReportParams,
  type Scope,
} from './reports.repository.ts';
import { sharedActorLinks, suspectedDuplicates } from './reports.shared-actors.repository.ts';

export type { Scope } from './reports.repository.ts';

/** Identifiers in the 360Giving export (documented in docs/features.md). */
const ORG_PREFIX_CVR = 'DK-CVR-';
/** Actors without a CVR number, and the municipalities as funders: our own 360Giving prefix. */
const LOCAL_PREFIX = '360G-samspil';

/** The licence of the open data (documented in docs/features.md): CC BY 4.0, as the 360Giving standard recommends an open one. */
const OPEN_DATA_LICENCE = 'https://creativecommons.org/licenses/by/4.0/';

/** The path and query of the 360Giving export of a scope and year: the package's own dataSource. */
function openDataPath(scope: Scope, year: number): string {
  if (scope.kind === 'national') throw validationFailed({ scope: ['reports.exportScopeRequired'] });
  const key = scope.kind === 'municipality' ? 'municipalityCode' : 'regionCode';
  return `/api/v1/exports/360giving?${key}=${scope.code}&year=${year}`;
}

/** Kroner as a number, for JSON: øre are whole, so two decimals are exact. */
/** Money per person in need: øre, divided exactly and rounded half up, as a decimal string. */
function orePerPerson(awardedOre: string, needPeople: number): string | null {
  if (needPeople <= 0) return null;
  const people = BigInt(needPeople);
  return String((BigInt(awardedOre) * 2n + people) / (2n * people));
}

const kroner = (oere: number) => oere / 100;

/**
 * A group's assessment: the query's flag, except that a group with no need estimated and no money
 * or in-kind support has no data to be "ok" on.
 */
function assessment(
  r: Pick<ProportionalityRow, 'flag' | 'needPeople' | 'awardedOre' | 'inKindOre'>,
): ProportionalityRow['flag'] | 'no_data' {
  const nothing = r.needPeople === 0 && r.awardedOre === '0' && r.inKindOre === '0';
  return r.flag === 'ok' && nothing ? 'no_data' : r.flag;
}

function scopeLabel(scope: Scope): string {
  return scope.kind === 'national' ? 'national' : `${scope.kind}:${scope.code}`;
}

/** How long a report is reused at most (writes in this process end its use at once). */
const REPORT_TTL_MS = 10_000;

export function createReportService(database: Database, municipalities: MunicipalityService) {
  // Reports are read far more often than grants and estimates change: one read serves them all.
  const cache = createReadCache<unknown>(database.writes, { max: 200, ttlMs: REPORT_TTL_MS });
  /**
   * What a report of the scope depends on: the municipalities it covers (each of a region's, all of
   * the country's), the actor register, the target groups and the municipalities themselves.
   */
  async function tagsOf(scope: Scope): Promise<string[]> {
    const shared = [writeTag.actors, writeTag.targetGroups, writeTag.municipalities];
    if (scope.kind === 'national') return [writeTag.anyMunicipality, ...shared];
    if (scope.kind === 'municipality') return [writeTag.municipality(scope.code), ...shared];
    const inRegion = (await municipalities.all()).filter((m) => m.regionCode === scope.code);
    return [...inRegion.map((m) => writeTag.municipality(m.code)), ...shared];
  }
  const cached = async <T>(key: string, scope: Scope, load: () => Promise<T>) =>
    cache.get(key, await tagsOf(scope), load) as Promise<T>;
  const duplicates = (scope: Scope) =>
    cached(`duplicates:${scopeLabel(scope)}`, scope, () => suspectedDuplicates(database, scope));

  /** The shared actors of a scope and year, worked out from their links until a write touches them. */
  async function sharedReport(scope: Scope, year: number) {
    const [links, byCode] = await Promise.all([sharedActorLinks(database, scope, year), municipalities.byCode()]);
    const actors = new Map<
      number,
      {
        actorId: number;
        name: string;
        cvr: string | null;
        municipalities: {
          municipalityCode: number;
          name: string;
          worksThere: boolean;
          awardedOre: string;
          agreementCount: number;
        }[];
      }
    >();
    for (const l of links) {
      const a = actors.get(l.actorId) ?? { actorId: l.actorId, name: l.name, cvr: l.cvr, municipalities: [] };
      a.municipalities.push({
        municipalityCode: l.municipalityCode,
        name: byCode.get(l.municipalityCode)?.name ?? String(l.municipalityCode),
        worksThere: l.worksThere,
        awardedOre: l.awardedOre,
        agreementCount: l.agreementCount,
      });
      actors.set(l.actorId, a);
    }
    const items = [...actors.values()].map((a) => ({
      ...a,
      totalAwardedOre: a.municipalities.reduce((s, m) => s + BigInt(m.awardedOre), 0n).toString(),
      fundedBy: a.municipalities.filter((m) => BigInt(m.awardedOre) > 0n).map((m) => m.municipalityCode),
      servedUnfunded: a.municipalities
        .filter((m) => m.worksThere && BigInt(m.awardedOre) === 0n)
        .map((m) => m.municipalityCode),
    }));
    // The matrix: for each pair of municipalities, the actors they share.
    const codes = [...new Set(links.map((l) => l.municipalityCode))].sort((x, y) => x - y);
    const matrix: Record<number, Record<number, number>> = {};
    for (const c of codes) matrix[c] = {};
    for (const a of items) {
      const mine = a.municipalities.map((m) => m.municipalityCode);
      for (const x of mine)
        for (const y of mine) {
          const row = matrix[x] as Record<number, number>;
          row[y] = (row[y] ?? 0) + 1;
        }
    }
    return {
      scope: scopeLabel(scope),
      year,
      actors: items,
      municipalities: codes.map((c) => ({ code: c, name: byCode.get(c)?.name ?? String(c) })),
      matrix: codes.map((x) => ({
        municipalityCode: x,
        shared: codes.map((y) => (x === y ? 0 : (matrix[x]?.[y] ?? 0))),
      })),
    };
  }

  /** Who publishes a scope's open data: the municipality, or the region; 404 for an unknown one. */
  async function openDataPublisher(scope: Scope) {
    const all = await municipalities.all();
    if (scope.kind === 'municipality') {
      const m = all.find((x) => x.code === scope.code);
      if (!m)
        throw new AppError('NOT_FOUND', 404, 'reports.openData.unknownMunicipality', {
          details: { entity: 'municipality', id: scope.code },
        });
      return { name: `${m.name} Kommune`, identifier: `${LOCAL_PREFIX}-kommune-${String(m.code).padStart(4, '0')}` };
    }
    if (scope.kind === 'region') {
      const m = all.find((x) => x.regionCode === scope.code);
      if (!m) throw notFound('region', scope.code);
      return { name: m.regionName, identifier: `${LOCAL_PREFIX}-region-${scope.code}` };
    }
    throw validationFailed({ scope: ['reports.exportScopeRequired'] });
  }

  return {
    /** What a kept report (or page) of the scope depends on (lib/write-tags.ts). */
    tagsOf,

    /**
     * The report, worked out once until a write touches it: its rows' assessments and amounts per
     * person too (a BigInt division per row, a tenth of the page's CPU when done per request). Kept
     * and shared between requests, so it is frozen: whoever shows it makes new arrays.
     */
    async proportionality(params: ReportParams) {
      return cached(`proportionality:${JSON.stringify(params)}`, params.scope, async () => {
        const rows = await proportionality(database, params);
        const first = rows[0];
        const report = {
          scope: scopeLabel(params.scope),
          year: params.yearFrom,
          yearFrom: params.yearFrom,
          yearTo: params.yearTo,
          threshold: params.threshold,
          totalNeedPeople: first?.totalNeedPeople ?? 0,
          totalAwardedOre: first?.totalAwardedOre ?? '0',
          rows: rows.map(({ totalNeedPeople: _n, totalAwardedOre: _a, ...r }) => ({
            ...r,
            flag: assessment(r),
            orePerPerson: orePerPerson(r.awardedOre, r.needPeople),
          })),
        };
        for (const row of report.rows) Object.freeze(row);
        Object.freeze(report.rows);
        return Object.freeze(report);
      });
    },

    /**
     * One municipality's need in a year per target group, rolled up the tree, and its total: the
     * report's own count, for the need-estimate grid. Read anew, so the grid shows a change at once.
     */
    async needByGroup(municipalityCode: number, year: number) {
      return needByGroup(database, municipalityCode, year);
    },

    /**
     * Actors shared by two or more municipalities of the scope: per actor, each municipality's
     * awarded amount and agreements; which fund it and which it serves without funding; and the
     * municipality × municipality count of shared actors.
     */
    async sharedActors(scope: Scope, year: number, options: { duplicates?: boolean } = {}) {
      const [shared, suspectedDuplicates] = await Promise.all([
        cached(`shared:${scopeLabel(scope)}:${year}`, scope, () => sharedReport(scope, year)),
        options.duplicates === false ? [] : duplicates(scope),
      ]);
      return { ...shared, suspectedDuplicates };
    },

    /** Actors registered by different municipalities of the scope that look like one. */
    async suspectedDuplicates(scope: Scope) {
      return duplicates(scope);
    },

    /**
     * A 360Giving data package of the scope's awarded grants in the year, with its publisher and
     * licence. The standard requires at least one grant: a scope or year without one is a 404, as is
     * an unknown municipality. In-kind support is valued in kroner in Samspil but is no money, so its
     * amounts are 0 and its fundingType says what it was worth.
     */
    async openData360(scope: Scope, year: number, baseUrl: string) {
      const publisher = await openDataPublisher(scope);
      const grants = await openGrants(database, scope, year);
      if (grants.length === 0)
        throw new AppError('NO_OPEN_DATA', 404, 'reports.openData.noGrants', {
          details: { scope: scopeLabel(scope), year },
        });
      const source = `${baseUrl}${openDataPath(scope, year)}`;
      return {
        version: '1.4',
        title: `Samspil § 18 ${scopeLabel(scope)} ${year}`,
        description: `§ 18-bevillinger (serviceloven) fra ${publisher.name} i ${year}, udgivet fra Samspil.`,
        identifier: `${LOCAL_PREFIX}-${scope.kind}-${scope.kind === 'national' ? 'dk' : scope.code}-${year}`,
        modified: grants.reduce(
          (latest, g) => (g.updatedAt > latest ? g.updatedAt : latest),
          grants[0]?.updatedAt ?? '',
        ),
        publisher,
        license: OPEN_DATA_LICENCE,
        downloadURL: source,
        grants: grants.map((g) => ({
          id: `${LOCAL_PREFIX}-grant-${g.id}`,
          title: g.title,
          description: g.purpose?.trim() || g.title,
          currency: 'DKK',
          ...(g.kind === 'in_kind'
            ? { amountAwarded: 0 }
            : {
                amountAppliedFor: kroner(g.requestedOre),
                amountAwarded: kroner(g.awardedOre),
                amountDisbursed: kroner(g.paidOre),
              }),
          awardDate: g.decisionOn ?? g.roundDecisionOn ?? `${g.year}-12-31`,
          ...(g.periodStart && g.periodEnd
            ? { plannedDates: [{ startDate: g.periodStart, endDate: g.periodEnd }] }
            : {}),
          recipientOrganization: [
            {
              id: g.actorCvr ? `${ORG_PREFIX_CVR}${g.actorCvr}` : `${LOCAL_PREFIX}-actor-${g.actorId}`,
              name: g.actorName,
              ...(g.actorCvr ? { companyNumber: g.actorCvr } : {}),
              addressCountry: 'DK',
              ...(g.actorWebsite ? { url: g.actorWebsite } : {}),
            },
          ],
          fundingOrganization: [
            {
              id: `${LOCAL_PREFIX}-kommune-${String(g.municipalityCode).padStart(4, '0')}`,
              name: `${g.municipalityName} Kommune`,
            },
          ],
          grantProgramme: [{ title: g.roundName }],
          beneficiaryLocation: [
            {
              name: g.municipalityName,
              countryCode: 'DK',
              geoCode: String(g.municipalityCode).padStart(4, '0'),
              geoCodeType: 'DK-KOMMUNEKODE',
            },
          ],
          classifications: g.groups.map((c) => ({
            vocabulary: c.ffbCode ? 'FFB-maalgrupper' : `${LOCAL_PREFIX}-lokal-maalgruppe`,
            code: c.ffbCode ?? String(c.id),
            title: c.nameDa,
          })),
          url: `${baseUrl}/grants/${g.id}`,
          dateModified: g.updatedAt,
          dataSource: source,
          fundingType: [
            g.kind === 'in_kind'
              ? {
                  vocabulary: `${LOCAL_PREFIX}-stoetteform`,
                  code: 'in_kind',
                  title: 'Naturaliestøtte',
                  description: `Naturaliestøtte til en værdi af ${formatMoney(g.awardedOre)}, ikke medregnet i amountAwarded.`,
                }
              : { vocabulary: `${LOCAL_PREFIX}-stoetteform`, code: 'money', title: 'Tilskud' },
          ],
        })),
      };
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
