import type { Queryable } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { contactRuleDates, maySeeContacts } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { cooperatingMunicipalities } from './actors.repository.ts';
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
export function seenBy<A extends Actor>(
  principal: Principal,
  actor: A,
  cooperating: number[],
): A & { contactsVisible: boolean } {
  const visible = maySeeContacts(principal, [actor.homeMunicipalityCode, ...actor.municipalityCodes, ...cooperating]);
  return { ...actor, contacts: visible ? actor.contacts : [], contactsVisible: visible };
}
