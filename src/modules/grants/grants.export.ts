import { type CsvCell, toDanishCsv } from '../../lib/csv.ts';
import { toXlsx } from '../../lib/spreadsheet.ts';
import type { Grant } from './grants.schemas.ts';

export interface ExportContext {
  t: (key: string) => string;
  actorName: (id: number) => string;
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

export function grantsCsv(grants: Grant[], ctx: ExportContext): string {
  const cols = columns(ctx);
  return toDanishCsv(
    cols.map((c) => c.header),
    grants.map((g) => cols.map((c) => c.value(g))),
  );
}

/** The same list as an Excel workbook: money as numbers in kroner with two decimals, dates as dates. */
export async function grantsXlsx(grants: Grant[], ctx: ExportContext): Promise<Buffer> {
  const cols = columns(ctx);
  return toXlsx(
    ctx.t('grants.title'),
    cols.map((c) => c.header),
    grants.map((g) => cols.map((c) => c.value(g))),
  );
}
