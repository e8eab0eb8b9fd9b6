import type { Db, Tx } from '../../db/client.ts';
import { AppError, type FieldErrors, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { fieldErrorsFrom } from '../../lib/forms.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import {
  anonymiseContact,
  deleteContacts,
  findActorRow,
  findByCvr,
  findContact,
  findSimilarNames,
  insertActor,
  insertContact,
  listContacts,
  loadActor,
  namesByIds,
  replaceActorMunicipalities,
  replaceActorTargetGroups,
  unknownTargetGroupIds,
  updateActorIfVersion,
  updateContact,
} from './actors.repository.ts';
import {
  type Actor,
  type ActorInput,
  type ActorListQuery,
  type ActorPatch,
  actorFields,
  type ContactInput,
  type QuickInformalGroup,
  type SimilarActor,
} from './actors.schemas.ts';
import { searchActorSummaries, searchActors } from './actors.search.repository.ts';
import { actorAsSeenBy, actorPageShownTo, actorShownTo } from './actors.seen.ts';

/** What an anonymised contact is called; it carries no personal data. */
const ANONYMISED = 'Anonymiseret kontaktperson';

export interface RegisterOptions {
  /** The user has seen the actors with similar names and still wants to register this one. */
  allowSimilar?: boolean;
}

/** What the audit trail keeps of an actor: contacts by id only, never their personal data. */
export function auditSnapshot(actor: Actor) {
  const { contacts, ...rest } = actor;
  return { ...rest, contactIds: contacts.map((c) => c.id) };
}

/** An anonymised contact: the placeholder name and nothing else. */
function isAnonymised(c: { name: string; role: string | null; email: string | null; phone: string | null }) {
  return c.name === ANONYMISED && c.role === null && c.email === null && c.phone === null;
}

export function createActorService(db: Db, municipalities: MunicipalityService) {
  /** Rules that span fields or need the database; zod has already checked each field. */
  async function checkRules(tx: Tx, known: Set<number>, input: ActorInput, selfId?: number): Promise<void> {
    const errors: FieldErrors = {};
    const add = (field: string, key: string) => {
      errors[field] = [...(errors[field] ?? []), key];
    };
    if (input.roles.includes('service_provider')) {
      if (input.underServiceAct === null || input.underServiceAct === undefined)
        add('underServiceAct', 'actor.underServiceAct.required');
    }
    if (!known.has(input.homeMunicipalityCode)) add('homeMunicipalityCode', 'validation.unknownMunicipality');
    if (input.municipalityCodes.some((c) => !known.has(c))) add('municipalityCodes', 'validation.unknownMunicipality');
    if ((await unknownTargetGroupIds(tx, input.targetGroupIds)).length)
      add('targetGroupIds', 'actor.targetGroups.unknown');
    if (Object.keys(errors).length) throw validationFailed(errors);

    if (input.cvr) {
      const existing = await findByCvr(tx, input.cvr, selfId);
      if (existing) {
        throw new AppError('DUPLICATE_CVR', 409, 'actor.cvr.duplicate', {
          fieldErrors: { cvr: ['actor.cvr.duplicate'] },
          details: { existing },
        });
      }
    }
  }

  /** Brings the contacts in line with the input: keeps and updates by id, adds new, deletes the rest. */
  async function syncContacts(tx: Tx, principal: Principal, actorId: number, contacts: ContactInput[]): Promise<void> {
    const existing = new Set((await listContacts(tx, actorId)).keys());
    const kept = new Set<number>();
    for (const c of contacts) {
      if (c.id !== undefined) {
        if (!existing.has(c.id)) {
          throw validationFailed({ contacts: ['actor.contacts.unknown'] });
        }
        kept.add(c.id);
        if (await updateContact(tx, actorId, { ...c, id: c.id })) {
          await recordAudit(tx, principal, {
            entity: 'actor_contact',
            entityId: c.id,
            action: 'update',
            after: { actorId },
          });
        }
      } else {
        const id = await insertContact(tx, actorId, c);
        await recordAudit(tx, principal, {
          entity: 'actor_contact',
          entityId: id,
          action: 'create',
          after: { actorId },
        });
      }
    }
    const removed = [...existing].filter((id) => !kept.has(id));
    await deleteContacts(tx, actorId, removed);
    for (const id of removed) {
      await recordAudit(tx, principal, {
        entity: 'actor_contact',
        entityId: id,
        action: 'delete',
        before: { actorId },
      });
    }
  }

  /**
   * Contacts kept by id must be as the caller read them: a contact changed or erased since (its
   * version moved on) makes the save stale. An anonymised contact never takes personal data again;
   * a new contact is added instead.
   */
  async function checkContactsAgainst(
    tx: Tx,
    actorId: number,
    contacts: ContactInput[],
    stale: () => Promise<AppError>,
  ): Promise<void> {
    const current = await listContacts(tx, actorId, true);
    for (const c of contacts) {
      const row = c.id === undefined ? undefined : current.get(c.id);
      if (!row) continue;
      if (c.version !== undefined && c.version !== row.version) throw await stale();
      const wanted = { name: c.name, role: c.role ?? null, email: c.email ?? null, phone: c.phone ?? null };
      if (isAnonymised(row) && !isAnonymised(wanted))
        throw validationFailed({ contacts: ['actor.contacts.anonymised'] });
    }
  }

  function columns(input: ActorInput) {
    const isProvider = input.roles.includes('service_provider');
    return {
      name: input.name,
      cvr: input.cvr ?? null,
      orgType: input.orgType,
      roles: input.roles,
      underServiceAct: isProvider ? (input.underServiceAct ?? null) : null,
      description: input.description ?? null,
      website: input.website ?? null,
      email: input.email ?? null,
      phone: input.phone ?? null,
      address: input.address ?? null,
      homeMunicipalityCode: input.homeMunicipalityCode,
      status: input.status,
    };
  }

  async function mustLoad(tx: Db | Tx, id: number): Promise<Actor> {
    const actor = await loadActor(tx, id);
    if (!actor) throw notFound('actor', id);
    return actor;
  }

  /**
   * The municipality codes, read before a transaction opens: PGlite runs one transaction at a time,
   * so a query outside it would wait for it.
   */
  async function knownMunicipalities(): Promise<Set<number>> {
    return new Set((await municipalities.all()).map((m) => m.code));
  }

  async function registerIn(
    tx: Tx,
    principal: Principal,
    input: ActorInput,
    known: Set<number>,
    options: RegisterOptions,
  ): Promise<Actor> {
    await checkRules(tx, known, input);
    if (!options.allowSimilar) {
      const candidates = await findSimilarNames(tx, input.name);
      if (candidates.length) {
        throw new AppError('SIMILAR_NAME', 409, 'actor.similar.found', { details: { candidates } });
      }
    }
    const row = await insertActor(tx, columns(input));
    await replaceActorMunicipalities(tx, row.id, input.municipalityCodes);
    await replaceActorTargetGroups(tx, row.id, input.targetGroupIds);
    await syncContacts(tx, principal, row.id, input.contacts);
    const created = await mustLoad(tx, row.id);
    await recordAudit(tx, principal, {
      entity: 'actor',
      entityId: row.id,
      action: 'create',
      after: auditSnapshot(created),
    });
    return created;
  }

  const service = {
    /** One actor. Its contacts are left out unless the reader's municipality works with the actor. */
    async get(principal: Principal, id: number): Promise<Actor & { contactsVisible: boolean }> {
      return actorAsSeenBy(db, principal, await mustLoad(db, id));
    },

    /** An actor as this user may see it, and where it was merged into (the API's actor), in one statement. */
    toShow: (principal: Principal, id: number) => actorShownTo(db, principal, id),

    /** The actor's page: the actor as toShow gives it, its agreements (at most `agreementsLimit`) and its outreach. */
    page: (principal: Principal, id: number, agreementsLimit: number) =>
      actorPageShownTo(db, principal, id, agreementsLimit),

    async list(query: ActorListQuery) {
      return searchActors(db, query);
    },

    /** The same page of actors as list() finds, as the list page and the menus of actors show them. */
    async summaries(query: ActorListQuery) {
      return searchActorSummaries(db, query);
    },

    /** Names for a list of actor ids, in one query. */
    async names(ids: number[]): Promise<Map<number, string>> {
      return namesByIds(db, [...new Set(ids)]);
    },

    async similarNames(name: string, excludeId?: number): Promise<SimilarActor[]> {
      if (name.trim().length < 3) return [];
      return findSimilarNames(db, name, excludeId);
    },

    /** Registers an actor. A duplicate CVR is refused; similar names are refused until allowed. */
    async register(principal: Principal, input: ActorInput, options: RegisterOptions = {}): Promise<Actor> {
      assertMayWrite(principal, 'actors', input.homeMunicipalityCode);
      const known = await knownMunicipalities();
      return db.transaction(async (tx) => registerIn(tx, principal, input, known, options));
    },

    /**
     * Registers an actor inside another module's transaction, with the same rules (the duplicate
     * guard included). `known` comes from knownMunicipalities(), read before the transaction opened;
     * `area` is the policy area that lets the principal do it (an application's handlers create its
     * actor under 'applications').
     */
    async registerWithin(
      tx: Tx,
      principal: Principal,
      input: ActorInput,
      known: Set<number>,
      options: RegisterOptions & { area: 'actors' | 'applications' },
    ): Promise<Actor> {
      assertMayWrite(principal, options.area, input.homeMunicipalityCode);
      return registerIn(tx, principal, input, known, options);
    },

    knownMunicipalities,

    /**
     * Registers an informal group (popupfrivillighed) from a name and one contact: an arena for
     * inclusion, at home in and working in the user's own municipality, with no CVR.
     */
    async registerInformalGroup(
      principal: Principal,
      input: QuickInformalGroup,
      options: RegisterOptions = {},
    ): Promise<Actor> {
      const own = principal.municipalityCode;
      return service.register(
        principal,
        {
          name: input.name,
          orgType: 'informal_group',
          roles: ['inclusion_arena'],
          homeMunicipalityCode: own ?? 0,
          municipalityCodes: own ? [own] : [],
          targetGroupIds: [],
          contacts: [input.contact],
          status: 'active',
        },
        options,
      );
    },

    /** Changes an actor that still has the version the caller read; a stale version gets 409 with the current values. */
    async update(principal: Principal, id: number, patch: ActorPatch & { version: number }): Promise<Actor> {
      const known = await knownMunicipalities();
      return db.transaction(async (tx) => {
        const row = await findActorRow(tx, id, true);
        if (!row) throw notFound('actor', id);
        assertMayWrite(principal, 'actors', row.homeMunicipalityCode);
        const before = await mustLoad(tx, id);
        const stale = async () => staleVersion('actor', await actorAsSeenBy(tx, principal, before));
        if (row.version !== patch.version) throw await stale();
        const { version, ...changes } = patch;
        if (changes.contacts) await checkContactsAgainst(tx, id, changes.contacts, stale);
        const merged = actorFields.safeParse({
          ...before,
          ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
          contacts: changes.contacts ?? before.contacts,
        });
        if (!merged.success) throw validationFailed(fieldErrorsFrom(merged.error));
        const input = merged.data;
        if (input.homeMunicipalityCode !== row.homeMunicipalityCode) {
          assertMayWrite(principal, 'actors', input.homeMunicipalityCode);
        }
        await checkRules(tx, known, input, id);
        const updated = await updateActorIfVersion(tx, id, version, columns(input));
        if (!updated) throw await stale();
        if (changes.municipalityCodes) await replaceActorMunicipalities(tx, id, input.municipalityCodes);
        if (changes.targetGroupIds) await replaceActorTargetGroups(tx, id, input.targetGroupIds);
        if (changes.contacts) await syncContacts(tx, principal, id, input.contacts);
        const after = await mustLoad(tx, id);
        await recordAudit(tx, principal, {
          entity: 'actor',
          entityId: id,
          action: 'update',
          before: auditSnapshot(before),
          after: auditSnapshot(after),
        });
        return after;
      });
    },

    /**
     * GDPR: erases a contact person, by deleting the row or by anonymising it (the row stays,
     * its personal data goes). The audit trail refers to the contact by id only.
     */
    async eraseContact(
      principal: Principal,
      actorId: number,
      contactId: number,
      mode: 'delete' | 'anonymise',
    ): Promise<void> {
      await db.transaction(async (tx) => {
        const row = await findActorRow(tx, actorId, true);
        if (!row) throw notFound('actor', actorId);
        assertMayWrite(principal, 'actors', row.homeMunicipalityCode);
        if (!(await findContact(tx, actorId, contactId))) throw notFound('actor_contact', contactId);
        if (mode === 'delete') await deleteContacts(tx, actorId, [contactId]);
        else await anonymiseContact(tx, contactId, ANONYMISED);
        // Erasure wins over a form opened before it: the actor's new version makes that form stale.
        await updateActorIfVersion(tx, actorId, row.version, {});
        await recordAudit(tx, principal, {
          entity: 'actor_contact',
          entityId: contactId,
          action: mode === 'delete' ? 'erase' : 'anonymise',
          before: { actorId },
          after: { actorId },
        });
      });
    },

    /** Archives an actor: it leaves the default lists but keeps its history. */
    async archive(principal: Principal, id: number, version?: number): Promise<Actor> {
      return db.transaction(async (tx) => {
        const row = await findActorRow(tx, id, true);
        if (!row) throw notFound('actor', id);
        assertMayWrite(principal, 'actors', row.homeMunicipalityCode);
        const before = await mustLoad(tx, id);
        if (version !== undefined && row.version !== version)
          throw staleVersion('actor', await actorAsSeenBy(tx, principal, before));
        if (row.status === 'archived') return before;
        await updateActorIfVersion(tx, id, row.version, { status: 'archived' });
        const after = await mustLoad(tx, id);
        await recordAudit(tx, principal, {
          entity: 'actor',
          entityId: id,
          action: 'archive',
          before: auditSnapshot(before),
          after: auditSnapshot(after),
        });
        return after;
      });
    },
  };
  return service;
}
export type ActorService = ReturnType<typeof createActorService>;
