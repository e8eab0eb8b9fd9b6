import type { Queryable } from '../../db/client.ts';
import type { Principal } from '../../lib/principal.ts';
import { fold } from '../../lib/upload.ts';
import { type ActorRef, actorsByCvr, actorsByName, similarActors } from './imports.matching.repository.ts';
import { SLICE } from './imports.plan.ts';
import type { ActorChoices, ActorMatch } from './imports.schemas.ts';
import { auditImportedRows, inSlices, insertActorRecords, nextIds } from './imports.writing.repository.ts';

/*
 * The actors of a file, matched with the registered ones: by CVR number, by the very same name, or
 * by a similar name the user confirms; the new ones registered when the file is written.
 */

/** The lines of an actor the user is shown while choosing what it is (all that is kept of them). */
export const ACTOR_LINES = 5;
/** A new actor from a grant list is registered as an association and an arena for inclusion. */
const NEW_ACTOR_DEFAULTS = { orgType: 'association', roles: ['inclusion_arena'] } as const;

/** Where an actor of the file ends up: a registered one, or a new one. */
export interface ActorPlan {
  key: string;
  name: string;
  cvr: string | null;
  lines: number[];
  actorId: number | null;
  candidates: ActorRef[];
  /** True when the user must still choose between the candidates and a new actor. */
  unresolved: boolean;
}

/** An actor is known in the file by its CVR, or else by its folded name. */
export const actorKey = (cvr: string | null, name: string) => (cvr ? `cvr:${cvr}` : `name:${fold(name)}`);

export interface ActorLookups {
  byCvr: Map<string, ActorRef>;
  byName: Map<string, ActorRef[]>;
  similar: Map<string, ActorRef[]>;
}

/**
 * Matches the actors of a file: by CVR first; then a registered actor of the very same name (and no
 * other CVR) is taken as it; then similar names are put to the user, who picks one or "new".
 */
export function resolveActors(
  wanted: Map<string, { name: string; cvr: string | null; lines: number[] }>,
  lookups: ActorLookups,
  choices: ActorChoices,
): ActorPlan[] {
  return [...wanted.entries()].map(([key, a]) => {
    const plan: ActorPlan = { key, ...a, actorId: null, candidates: [], unresolved: false };
    const byCvr = a.cvr ? lookups.byCvr.get(a.cvr) : undefined;
    if (byCvr) return { ...plan, actorId: byCvr.id };
    const same = (lookups.byName.get(a.name) ?? []).filter((c) => !c.cvr || !a.cvr || c.cvr === a.cvr);
    if (same.length === 1 && same[0]) return { ...plan, actorId: same[0].id };
    const candidates = [...same, ...(lookups.similar.get(a.name) ?? [])]
      .filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i)
      .filter((c) => !c.cvr || !a.cvr || c.cvr === a.cvr);
    if (!candidates.length) return plan;
    const choice = choices[key];
    if (choice === 'new') return { ...plan, candidates };
    if (typeof choice === 'number' && candidates.some((c) => c.id === choice))
      return { ...plan, candidates, actorId: choice };
    return { ...plan, candidates, unresolved: true };
  });
}

export const actorMatches = (actors: ActorPlan[], choices: ActorChoices): ActorMatch[] =>
  actors
    .filter((a) => a.candidates.length)
    .map((a) => ({
      key: a.key,
      name: a.name,
      cvr: a.cvr,
      lines: a.lines.slice(0, ACTOR_LINES),
      candidates: a.candidates.map((c) => ({ id: c.id, name: c.name, cvr: c.cvr })),
      choice: a.unresolved ? null : (choices[a.key] ?? null),
    }));

/** Name keys whose name is also that of exactly one CVR in the file → that CVR's key. */
export function withoutCvrAliases(actors: Map<string, { name: string; cvr: string | null }>): Map<string, string> {
  const cvrKeyOf = new Map<string, string | null>();
  for (const [key, a] of actors) {
    if (!a.cvr) continue;
    const name = fold(a.name);
    cvrKeyOf.set(name, cvrKeyOf.has(name) ? null : key);
  }
  const alias = new Map<string, string>();
  for (const [key, a] of actors) {
    const to = a.cvr ? undefined : cvrKeyOf.get(fold(a.name));
    if (to) alias.set(key, to);
  }
  return alias;
}

/** The registered actors the file's actors may be: by CVR number, by the same name, by a similar one. */
export async function lookupActors(on: Queryable, wanted: Map<string, { name: string; cvr: string | null }>) {
  const list = [...wanted.values()];
  const cvrs = list.flatMap((a) => (a.cvr ? [a.cvr] : []));
  const byCvr = await actorsByCvr(on, cvrs);
  // An actor found by its CVR number is that one: its name is looked up only for the others.
  const names = [...new Set(list.filter((a) => !(a.cvr && byCvr.has(a.cvr))).map((a) => a.name))];
  const byName = await actorsByName(on, names);
  // Only names without a CVR match or an exact one are looked up by similarity.
  const rest = [...new Set(list.filter((a) => !(a.cvr && byCvr.has(a.cvr)) && !byName.has(a.name)).map((a) => a.name))];
  return { byCvr, byName, similar: await similarActors(on, rest) };
}

/** Registers the new actors of a plan set-wise; returns each plan key's actor id. */
export async function registerActors(
  tx: Queryable,
  principal: Principal,
  municipalityCode: number,
  create: { key: string; name: string; cvr: string | null; fields?: Record<string, unknown> }[],
): Promise<Map<string, number>> {
  const ids = await nextIds(tx, 'actors_id_seq', create.length);
  const records = create.map((a, i) => ({
    id: ids[i],
    name: a.name,
    cvr: a.cvr,
    org_type: (a.fields?.orgType as string | undefined) ?? NEW_ACTOR_DEFAULTS.orgType,
    roles: `{${((a.fields?.roles as string[] | undefined) ?? NEW_ACTOR_DEFAULTS.roles).join(',')}}`,
    email: a.fields?.email ?? null,
    phone: a.fields?.phone ?? null,
    website: a.fields?.website ?? null,
    address: a.fields?.address ?? null,
    description: a.fields?.description ?? null,
    home: (a.fields?.homeMunicipalityCode as number | undefined) ?? municipalityCode,
  }));
  await inSlices(records, SLICE, (json) => insertActorRecords(tx, json));
  await inSlices(ids, SLICE, (_json, slice) => auditImportedRows(tx, principal, 'actors', slice));
  return new Map(create.map((a, i) => [a.key, ids[i] as number]));
}
