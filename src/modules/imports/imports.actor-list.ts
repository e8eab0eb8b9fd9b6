import type { Queryable } from '../../db/client.ts';
import { fold, type Table } from '../../lib/upload.ts';
import {
  type ActorRole,
  type actorRoles,
  actorFields as actorSchemaFields,
  type orgTypes,
} from '../actors/actors.schemas.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  actorKey,
  actorMatches,
  lookupActors,
  registerActors,
  resolveActors,
  withoutCvrAliases,
} from './imports.actor-match.ts';
import { actorsToCompare, IMPORTED_ACTOR_COLUMNS } from './imports.matching.repository.ts';
import { importConflict, invalidPlan, MAX_PROBLEMS, type Plan, SAMPLE } from './imports.plan.ts';
import type { ImportMeta } from './imports.repository.ts';
import { RowReader } from './imports.rows.ts';
import type { ActorChoices, ImportMapping, ImportProblem, ImportSummary } from './imports.schemas.ts';
import { updateImportedActor } from './imports.writing.repository.ts';

/* An actor list: read, compared with the registered actors, and written. */

const ORG_TYPES: Record<string, (typeof orgTypes)[number]> = {
  forening: 'association',
  association: 'association',
  frivilligforening: 'association',
  selvejendeinstitution: 'self_governing_institution',
  selfgoverninginstitution: 'self_governing_institution',
  fond: 'foundation',
  foundation: 'foundation',
  socialoekonomiskvirksomhed: 'social_enterprise',
  socialenterprise: 'social_enterprise',
  uformelgruppe: 'informal_group',
  informalgroup: 'informal_group',
  netvaerk: 'informal_group',
};

const ROLES: Record<string, (typeof actorRoles)[number]> = {
  fortaler: 'advocate',
  interessevaretager: 'advocate',
  interesseorganisation: 'advocate',
  advocate: 'advocate',
  inklusionsarena: 'inclusion_arena',
  arenaforinklusion: 'inclusion_arena',
  inclusionarena: 'inclusion_arena',
  leverandoer: 'service_provider',
  leverandoerafsocialeydelser: 'service_provider',
  serviceprovider: 'service_provider',
};

interface ActorRowPlan {
  line: number;
  key: string;
  name: string;
  cvr: string | null;
  /** Only the cells the file fills in; the rest of a registered actor is left alone. */
  fields: Partial<{
    orgType: (typeof orgTypes)[number];
    roles: ActorRole[];
    email: string;
    phone: string;
    website: string;
    address: string;
    description: string;
  }>;
}

/**
 * Reads an actor list of one municipality. Its actors are homed there: a row that names another
 * home municipality is a problem, as that municipality's users keep their own actors.
 */
async function readActors(
  table: Table,
  mapping: ImportMapping,
  findMunicipality: (s: string) => number | undefined,
  municipalityCode: number,
): Promise<{
  rows: ActorRowPlan[];
  actors: Map<string, { name: string; cvr: string | null; lines: number[] }>;
  problems: ImportProblem[];
}> {
  const r = new RowReader(table, mapping);
  const rows: ActorRowPlan[] = [];
  const actors = new Map<string, { name: string; cvr: string | null; lines: number[] }>();
  const shape = actorSchemaFields.shape;
  await table.forEachRow((row, line) => {
    const before = r.problems.length;
    const name = r.text(row, line, 'name', 200);
    if (!name) r.problem(line, 'name', 'import.required');
    const cvr = r.cvr(row, line);
    const fields: ActorRowPlan['fields'] = {};
    const orgType = r.cell(row, 'orgType');
    if (orgType) {
      const t = ORG_TYPES[fold(orgType)];
      if (t) fields.orgType = t;
      else r.problem(line, 'orgType', 'import.orgType', orgType);
    }
    const roles = r.cell(row, 'roles');
    if (roles) {
      const parts = roles
        .split(/[,;/]|\sog\s/)
        .map((p) => p.trim())
        .filter(Boolean);
      const mapped = parts.map((p) => ROLES[fold(p)]);
      if (!parts.length || mapped.some((m) => !m)) r.problem(line, 'roles', 'import.role', roles);
      else fields.roles = [...new Set(mapped as ActorRole[])];
    }
    for (const [field, schema] of [
      ['email', shape.email],
      ['phone', shape.phone],
      ['website', shape.website],
    ] as const) {
      const problemsBefore = r.problems.length;
      const v = r.text(row, line, field, 500);
      if (!v || r.problems.length > problemsBefore) continue;
      const parsed = schema.safeParse(v);
      if (parsed.success && parsed.data) fields[field] = parsed.data;
      else r.problem(line, field, `import.${field}`, v);
    }
    const address = r.text(row, line, 'address', 500);
    if (address) fields.address = address;
    const description = r.text(row, line, 'description', 5000);
    if (description) fields.description = description;
    const home = r.cell(row, 'homeMunicipality');
    if (home) {
      const code = findMunicipality(home);
      if (!code) r.problem(line, 'homeMunicipality', 'import.municipality', home);
      else if (code !== municipalityCode) r.problem(line, 'homeMunicipality', 'import.otherMunicipality', home);
    }
    if (r.problems.length > before) return true;
    const key = actorKey(cvr, name);
    const seen = actors.get(key);
    if (seen) {
      r.problem(line, cvr ? 'cvr' : 'name', 'import.duplicateActor', cvr ?? name, { first: seen.lines[0] ?? 0 });
      return true;
    }
    actors.set(key, { name, cvr, lines: [line] });
    rows.push({ line, key, name, cvr, fields });
    return true;
  });
  // The same name with a CVR and without one is one actor listed twice.
  for (const [from, to] of withoutCvrAliases(actors)) {
    r.problem(actors.get(from)?.lines[0] ?? 0, 'name', 'import.duplicateActor', actors.get(from)?.name, {
      first: actors.get(to)?.lines[0] ?? 0,
    });
  }
  return { rows, actors, problems: r.problems };
}

/** A municipality's code from what a file calls it (its code or name, with or without "Kommune"). */
export type MunicipalityFinder = (s: string) => number | undefined;

export async function planActors(
  on: Queryable,
  row: ImportMeta,
  table: Table,
  mapping: ImportMapping,
  choices: ActorChoices,
  findMunicipality: MunicipalityFinder,
): Promise<Plan> {
  const read = await readActors(table, mapping, findMunicipality, row.municipalityCode);
  if (read.problems.length) return invalidPlan(read.problems);
  const actors = resolveActors(read.actors, await lookupActors(on, read.actors), choices);
  const planOf = new Map(actors.map((a) => [a.key, a]));
  const matchedIds = actors.flatMap((a) => (a.actorId ? [a.actorId] : []));
  const current = await actorsToCompare(on, matchedIds);
  type Change = { actorId: number; set: Record<string, unknown>; before: Record<string, unknown> };
  const updates: Change[] = [];
  let skipped = 0;
  // Actors homed in another municipality are that municipality's to change: left as they are.
  const foreign = new Set<number>();
  // Two rows of the file that turn out to be one registered actor are one actor listed twice.
  const taken = new Map<number, number>();
  const twice: ImportProblem[] = [];
  for (const r of read.rows) {
    const id = planOf.get(r.key)?.actorId;
    if (!id) continue;
    const first = taken.get(id);
    if (first !== undefined) {
      twice.push({
        line: r.line,
        column: mapping.columns.name ?? 'name',
        value: r.name,
        message: 'import.duplicateActor',
        params: { first },
      });
      continue;
    }
    taken.set(id, r.line);
    const now = current.get(id) ?? {};
    const set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.fields)) {
      const was = now[IMPORTED_ACTOR_COLUMNS[k as keyof typeof IMPORTED_ACTOR_COLUMNS]];
      const same = Array.isArray(v)
        ? JSON.stringify([...v].sort()) === JSON.stringify([...((was as string[]) ?? [])].sort())
        : was === v;
      if (!same) set[k] = v;
    }
    if (r.cvr && !now.cvr) set.cvr = r.cvr;
    if (!Object.keys(set).length) skipped++;
    else if (now.home_municipality_code !== row.municipalityCode) foreign.add(id);
    else updates.push({ actorId: id, set, before: now });
  }
  if (twice.length) return invalidPlan(twice.slice(0, MAX_PROBLEMS));
  const creating = actors.filter((a) => a.actorId === null);
  const summary: ImportSummary = {
    actorsCreated: creating.length,
    actorsMatched: actors.length - creating.length,
    roundsCreated: [],
    created: creating.length,
    updated: updates.length,
    skipped,
    skippedLocked: foreign.size,
    matches: actorMatches(actors, choices),
    sample: read.rows.slice(0, SAMPLE).map((r) => ({
      line: r.line,
      actor: r.name,
      title: null,
      year: null,
      amountOre: null,
      action: !planOf.get(r.key)?.actorId
        ? ('create' as const)
        : updates.some((u) => u.actorId === planOf.get(r.key)?.actorId)
          ? ('update' as const)
          : foreign.has(planOf.get(r.key)?.actorId ?? 0)
            ? ('locked' as const)
            : ('skip' as const),
    })),
  };
  const fieldsOf = new Map(read.rows.map((r) => [r.key, r.fields]));
  return {
    problems: [],
    summary,
    unresolved: actors.filter((a) => a.unresolved).length,
    async write(tx, principal, importId, progress) {
      await registerActors(
        tx,
        principal,
        row.municipalityCode,
        creating.map((a) => ({ ...a, fields: fieldsOf.get(a.key) ?? {} })),
      );
      let done = creating.length + skipped + foreign.size;
      progress(done);
      for (const u of updates) {
        // Only an actor still as it was read, and still homed here, is written.
        const written = await updateImportedActor(tx, {
          actorId: u.actorId,
          version: u.before.version as number,
          municipalityCode: row.municipalityCode,
          set: u.set,
        });
        if (!written) throw importConflict();
        await recordAudit(tx, principal, {
          entity: 'actor',
          entityId: u.actorId,
          action: 'import',
          before: u.before,
          after: { ...u.set, importId },
        });
        progress(++done);
      }
    },
  };
}
