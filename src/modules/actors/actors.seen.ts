import type { Queryable } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { notFound } from '../../lib/errors.ts';
import { contactRuleDates, maySeeContacts } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { cooperatingMunicipalities, loadActorPage, loadActorToShow } from './actors.repository.ts';
import type { Actor } from './actors.schemas.ts';

/**
 * An actor as this user may see it: its contacts only when the contact rule (src/lib/policy.ts)
 * lets the user's municipality see them. Every answer that shows an actor, a GET or the current
 * values in a 409, goes through this.
 */
export async function actorAsSeenBy(
  q: Queryable,
  principal: Principal,
  actor: Actor,
): Promise<Actor & { contactsVisible: boolean }> {
  return seenBy(principal, actor, await cooperatingMunicipalities(q, actor.id, contactRuleDates(danishDate())));
}

/** The same, given the municipalities that work with the actor (read with it: loadActorToShow). */
function seenBy<A extends Actor>(
  principal: Principal,
  actor: A,
  cooperating: number[],
): A & { contactsVisible: boolean } {
  const visible = maySeeContacts(principal, [actor.homeMunicipalityCode, ...actor.municipalityCodes, ...cooperating]);
  return { ...actor, contacts: visible ? actor.contacts : [], contactsVisible: visible };
}

/** An actor as this user may see it, and where it was merged into, in one statement (the API's actor). */
export async function actorShownTo(q: Queryable, principal: Principal, id: number) {
  const found = await loadActorToShow(q, id, contactRuleDates(danishDate()));
  if (!found) throw notFound('actor', id);
  const { cooperatingCodes, ...actor } = found;
  return seenBy(principal, actor, cooperatingCodes);
}

/**
 * The actor's page: the actor as actorShownTo gives it, with its agreements (at most
 * `agreementsLimit`) and its outreach, in one statement.
 */
export async function actorPageShownTo(q: Queryable, principal: Principal, id: number, agreementsLimit: number) {
  const found = await loadActorPage(q, id, contactRuleDates(danishDate()), agreementsLimit);
  if (!found) throw notFound('actor', id);
  const { cooperatingCodes, agreements, outreach, ...actor } = found;
  return { actor: seenBy(principal, actor, cooperatingCodes), agreements, outreach };
}
