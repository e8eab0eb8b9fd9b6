import { z } from 'zod';
import { rowId } from '../../lib/ids.ts';
import { oreTotal } from '../../lib/money.ts';
import { fold } from '../../lib/upload.ts';

export const importKinds = ['grants', 'actors'] as const;
export type ImportKind = (typeof importKinds)[number];
const importStatuses = ['uploaded', 'invalid', 'ready', 'queued', 'done', 'failed'] as const;

/** A column the import reads, with the headers it is guessed from (folded: see fold()). */
interface ImportField {
  key: string;
  required?: boolean;
  headers: string[];
}

const grantFields: ImportField[] = [
  {
    key: 'externalRef',
    headers: [
      'reference',
      'ref',
      'id',
      'sagsnr',
      'sagsnummer',
      'journalnr',
      'loebenr',
      'loebenummer',
      'ansoegningsnr',
      'externalref',
      'caseno',
      'casenumber',
    ],
  },
  {
    key: 'actorName',
    required: true,
    headers: [
      'forening',
      'aktoer',
      'organisation',
      'ansoeger',
      'modtager',
      'navn',
      'foreningsnavn',
      'name',
      'actor',
      'organisationname',
      'organization',
      'recipient',
      'applicant',
    ],
  },
  { key: 'cvr', headers: ['cvr', 'cvrnr', 'cvrnummer', 'cvrno', 'cvrnumber'] },
  { key: 'title', headers: ['projekt', 'titel', 'aktivitet', 'projekttitel', 'title', 'project', 'activity'] },
  { key: 'purpose', headers: ['formaal', 'beskrivelse', 'purpose', 'description'] },
  { key: 'year', headers: ['aar', 'ar', 'year', 'puljeaar', 'bevillingsaar', 'tilskudsaar'] },
  { key: 'roundName', headers: ['pulje', 'puljenavn', 'round', 'grantround', 'pool'] },
  { key: 'requested', headers: ['ansoegt', 'ansoegtbeloeb', 'ansoegtkr', 'requested', 'amountrequested'] },
  {
    key: 'awarded',
    headers: [
      'bevilget',
      'bevilling',
      'bevilgetbeloeb',
      'bevilgetkr',
      'tilskud',
      'beloeb',
      'kr',
      'awarded',
      'amountawarded',
      'amount',
    ],
  },
  { key: 'targetGroup', headers: ['maalgruppe', 'ffb', 'ffbkode', 'targetgroup', 'target'] },
  {
    key: 'decisionOn',
    headers: ['bevillingsdato', 'beslutningsdato', 'afgoerelsesdato', 'dato', 'decisiondate', 'awarddate', 'date'],
  },
];

const actorFields: ImportField[] = [
  {
    key: 'name',
    required: true,
    headers: [
      'navn',
      'forening',
      'aktoer',
      'organisation',
      'foreningsnavn',
      'name',
      'actor',
      'organization',
      'organisationname',
    ],
  },
  { key: 'cvr', headers: ['cvr', 'cvrnr', 'cvrnummer', 'cvrno', 'cvrnumber'] },
  { key: 'orgType', headers: ['organisationsform', 'type', 'orgtype', 'organisationtype', 'form'] },
  { key: 'roles', headers: ['rolle', 'roller', 'role', 'roles'] },
  { key: 'email', headers: ['email', 'mail', 'epost', 'emailadresse'] },
  { key: 'phone', headers: ['telefon', 'tlf', 'telefonnummer', 'phone', 'telephone'] },
  { key: 'website', headers: ['hjemmeside', 'web', 'website', 'url'] },
  { key: 'address', headers: ['adresse', 'address'] },
  { key: 'description', headers: ['beskrivelse', 'formaal', 'description'] },
  { key: 'homeMunicipality', headers: ['kommune', 'hjemkommune', 'municipality', 'homemunicipality'] },
];

export const fieldsOf = (kind: ImportKind) => (kind === 'grants' ? grantFields : actorFields);

/**
 * Each field's column, guessed from the headers: an exact folded match first, then a header that
 * begins with one of the field's words ("Bevilget beløb 2025"). A column is used once.
 */
export function guessMapping(kind: ImportKind, header: string[]): Record<string, string> {
  const folded = header.map(fold);
  const used = new Set<number>();
  const mapping: Record<string, string> = {};
  for (const pass of ['exact', 'prefix'] as const) {
    for (const field of fieldsOf(kind)) {
      if (mapping[field.key]) continue;
      const i = folded.findIndex(
        (h, i) =>
          !used.has(i) &&
          h !== '' &&
          field.headers.some((w) => (pass === 'exact' ? h === w : w.length >= 3 && h.startsWith(w))),
      );
      if (i >= 0) {
        used.add(i);
        mapping[field.key] = header[i] as string;
      }
    }
  }
  return mapping;
}

/** How the columns are read: field → header, and values for rows that leave a field empty. */
export const importMapping = z.object({
  columns: z
    .record(z.string().max(100), z.string().max(200))
    .describe('Field → the header of its column, e.g. {"actorName": "Forening", "awarded": "Bevilget"}'),
  defaultYear: z
    .number()
    .int()
    .min(2000)
    .max(2100)
    .optional()
    .describe('Grants: the year of rows without one (in a year column or the round’s name); else the decision date’s'),
  defaultTargetGroupId: rowId.optional().describe('Grants: the target group of awarded rows without one'),
  overrideBudget: z
    .boolean()
    .optional()
    .describe(
      'Grants: award beyond a registered round’s budget (finance’s override, as on the grant form); without it such a file is invalid',
    ),
});
export type ImportMapping = z.infer<typeof importMapping>;

/** A name in the file like an actor already registered: pick the actor, or "new" to register it. */
export const actorChoices = z
  .record(z.string().max(300), z.union([rowId, z.literal('new')]))
  .describe('The key of each actor match (see matches) → the chosen actor id, or "new"');
export type ActorChoices = z.infer<typeof actorChoices>;

const importProblem = z.object({
  line: z.number().int().describe('The line in the file; 1 is the header, 0 the file as a whole'),
  column: z.string().optional(),
  value: z.string().optional(),
  message: z.string().describe('A message key; `text` has it in Danish'),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  text: z.string().optional(),
});
export type ImportProblem = z.infer<typeof importProblem>;

const actorMatch = z.object({
  key: z.string(),
  name: z.string(),
  cvr: z.string().nullable(),
  lines: z.array(z.number().int()).describe('The first lines it appears on'),
  candidates: z.array(z.object({ id: z.number().int(), name: z.string(), cvr: z.string().nullable() })),
  choice: z.union([z.number().int(), z.literal('new')]).nullable(),
});
export type ActorMatch = z.infer<typeof actorMatch>;

const importSummary = z.object({
  actorsCreated: z.number().int(),
  actorsMatched: z.number().int(),
  roundsCreated: z.array(z.object({ year: z.number().int(), name: z.string() })),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int().describe('Rows the registered data already agrees with'),
  skippedLocked: z
    .number()
    .int()
    .describe(
      'Rows left as they are: grants paid, closed, withdrawn or decided otherwise; actors homed in another municipality',
    ),
  matches: z.array(actorMatch),
  roundsOverBudget: z
    .array(
      z.object({
        year: z.number().int(),
        name: z.string(),
        budgetOre: z.number().int(),
        awardedOre: oreTotal.describe('The round’s awarded total as the file leaves it'),
      }),
    )
    .optional()
    .describe('Registered rounds the file takes over their budget, with finance’s override'),
  sample: z
    .array(
      z.object({
        line: z.number().int(),
        actor: z.string(),
        title: z.string().nullable(),
        year: z.number().int().nullable(),
        amountOre: z.number().int().nullable(),
        action: z.enum(['create', 'update', 'skip', 'locked']),
      }),
    )
    .optional()
    .describe('The first rows and what each will do'),
});
export type ImportSummary = z.infer<typeof importSummary>;

export const importSchema = z.object({
  id: z.number().int(),
  municipalityCode: z.number().int(),
  kind: z.enum(importKinds),
  status: z
    .enum(importStatuses)
    .describe('uploaded → invalid | ready → queued → done | failed; nothing is written before done'),
  fileName: z.string(),
  header: z.array(z.string()).describe('The columns of the file'),
  sample: z.array(z.array(z.string())).describe('The first rows of the file, as read'),
  mapping: importMapping.nullable(),
  rowCount: z.number().int(),
  processedRows: z.number().int().describe('While queued: rows written so far in the running transaction'),
  createdCount: z.number().int(),
  updatedCount: z.number().int(),
  skippedCount: z.number().int().describe('Rows not written: unchanged ones and those left as they are'),
  summary: importSummary.nullable(),
  problems: z.array(importProblem),
  problemCount: z.number().int(),
  version: z.number().int(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
});
export type Import = z.infer<typeof importSchema>;
