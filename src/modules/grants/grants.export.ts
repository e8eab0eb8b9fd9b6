import type { CsvCell } from '../../lib/csv.ts';
import type { Grant, GrantListQuery } from './grants.schemas.ts';

export interface ExportContext {
  t: (key: string) => string;
  actorName: (id: number) => string;
  actorCvr: (id: number) => string | null;
  roundName: (id: number) => string;
}

function columns(ctx: ExportContext) {
  return [
    { header: ctx.t('grants.col.id'), value: (g: Grant): CsvCell => g.id },
    // The case number a re-import matches the grant by, as the round written "Name (year)" gives its year.
    { header: ctx.t('grants.col.externalRef'), value: (g: Grant): CsvCell => g.externalRef },
    { header: ctx.t('grants.col.round'), value: (g: Grant): CsvCell => ctx.roundName(g.roundId) },
    { header: ctx.t('grants.col.municipality'), value: (g: Grant): CsvCell => g.municipalityCode },
    { header: ctx.t('grants.col.actor'), value: (g: Grant): CsvCell => ctx.actorName(g.actorId) },
    // Text, not a number: a CVR number is an identifier (a re-import matches the actor on it).
    { header: ctx.t('grants.col.cvr'), value: (g: Grant): CsvCell => ctx.actorCvr(g.actorId) },
    { header: ctx.t('grants.col.title'), value: (g: Grant): CsvCell => g.title },
    { header: ctx.t('grants.col.kind'), value: (g: Grant): CsvCell => ctx.t(`grant.kind.${g.kind}`) },
    { header: ctx.t('grants.col.status'), value: (g: Grant): CsvCell => ctx.t(`grant.status.${g.status}`) },
    { header: ctx.t('grants.col.requested'), value: (g: Grant): CsvCell => ({ oere: g.requestedOre }) },
    {
      header: ctx.t('grants.col.awarded'),
      value: (g: Grant): CsvCell => (g.awardedOre === null ? null : { oere: g.awardedOre }),
    },
    { header: ctx.t('grants.col.paid'), value: (g: Grant): CsvCell => ({ oere: g.paidOre }) },
    { header: ctx.t('grants.col.reportDue'), value: (g: Grant): CsvCell => ({ day: g.reportDueOn }) },
    {
      header: ctx.t('grants.col.reportReceived'),
      value: (g: Grant): CsvCell => (g.reportReceivedOn === null ? null : { day: g.reportReceivedOn }),
    },
  ];
}

/** The grant list as a table for CSV and XLSX, under the list's title. */
function grantsTable(grants: Grant[], ctx: ExportContext) {
  const cols = columns(ctx);
  return {
    name: 'bevillinger',
    sheet: ctx.t('grants.title'),
    header: cols.map((c) => c.header),
    rows: grants.map((g) => cols.map((c) => c.value(g))),
  };
}

interface ExportSources {
  grants: {
    exportList(filters: Omit<GrantListQuery, 'limit' | 'offset'>): Promise<{
      items: Grant[];
      rounds: { id: number; name: string; year: number }[];
      actors: { id: number; name: string; cvr: string | null }[];
    }>;
    roundList(filter: { ids: number[] }): Promise<{ id: number; name: string; year: number }[]>;
  };
}

/** The whole filtered list, as the list shows it, with the names of its rounds and actors and the actors' CVR. */
export async function grantExport(
  sources: ExportSources,
  filters: Omit<GrantListQuery, 'limit' | 'offset'>,
  t: (key: string) => string,
) {
  const { items, rounds, actors } = await sources.grants.exportList(filters);
  const missing = [...new Set(items.map((g) => g.roundId))].filter((id) => !rounds.some((r) => r.id === id));
  const more = missing.length ? await sources.grants.roundList({ ids: missing }) : [];
  const roundNames = new Map([...rounds, ...more].map((r) => [r.id, `${r.name} (${r.year})`]));
  const actorOf = new Map(actors.map((a) => [a.id, a]));
  return grantsTable(items, {
    t,
    actorName: (id) => actorOf.get(id)?.name ?? String(id),
    actorCvr: (id) => actorOf.get(id)?.cvr ?? null,
    roundName: (id) => roundNames.get(id) ?? String(id),
  });
}
