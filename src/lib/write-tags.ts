/**
 * What a write touches, as tags, and what a kept read depends on, in the same words. A write in a
 * municipality touches `m:<code>` and `m:*` (anything national); a write of shared data touches its
 * kind as well: the actor register (`actors`, whichever municipality wrote), target groups and
 * municipalities. A kept read names the tags it depends on: a municipality's page `m:<code>`, a
 * region's report each municipality in it, a national one `m:*`, and the kinds of shared data it
 * shows. A write of no municipality, or one the app cannot read, touches everything.
 */
export const writeTag = {
  municipality: (code: number) => `m:${code}`,
  /** Touched by a write in any municipality: for what covers them all. */
  anyMunicipality: 'm:*',
  actors: 'actors',
  targetGroups: 'target-groups',
  municipalities: 'municipalities',
  /** The users: who may own an action item, coordinate an agreement. */
  users: 'users',
  /** Applications and their documents, written by applicants without an account. */
  applications: 'applications',
} as const;

/** The shared data nearly every page shows: actors' names, target groups, municipalities. */
export const sharedData: readonly string[] = [writeTag.actors, writeTag.targetGroups, writeTag.municipalities];

/** A municipality's own data, or every municipality's when none is given. */
export const municipalityOrAll = (code: number | null | undefined): string =>
  code == null ? writeTag.anyMunicipality : writeTag.municipality(code);

/** The audit entities of shared data, and the tag each touches besides the writer's municipality. */
const sharedKinds: Record<string, string> = {
  actor: writeTag.actors,
  actor_contact: writeTag.actors,
  target_group: writeTag.targetGroups,
  municipality: writeTag.municipalities,
  user: writeTag.users,
};

export type Touched = readonly string[] | 'all';

/**
 * The audit entities that touch only their own kind, not their municipality: what anyone may write
 * without an account (an application, its documents) must not empty a municipality's kept pages,
 * none of which shows it; a page that does names the kind.
 */
const ownKinds: Record<string, string> = {
  application: writeTag.applications,
  application_document: writeTag.applications,
};

/** The tags one audited write touches: its municipality (null for none: everything) and entity. */
export function tagsOfWrite(municipalityCode: number | null, entity: string): Touched {
  const own = ownKinds[entity];
  if (own) return [own];
  if (municipalityCode === null) return 'all';
  const tags = [writeTag.municipality(municipalityCode), writeTag.anyMunicipality];
  const shared = sharedKinds[entity];
  if (shared) tags.push(shared);
  return tags;
}

/** The tags of a write notification's payload ("101:grant,751:actor"); anything else is everything. */
export function tagsOfNotification(payload: string | undefined): Touched {
  if (!payload) return 'all';
  const tags = new Set<string>();
  for (const pair of payload.split(',')) {
    const match = /^(\d{3})?:([a-z_]+)$/.exec(pair);
    if (!match) return 'all';
    const touched = tagsOfWrite(match[1] ? Number(match[1]) : null, match[2] as string);
    if (touched === 'all') return 'all';
    for (const tag of touched) tags.add(tag);
  }
  return [...tags];
}

/**
 * Counts the writes seen, and remembers for each tag the count at which it was last touched. A value
 * read when the count was n stays good while none of its tags has been touched since n.
 */
export class WriteClock {
  #count = 0;
  #everything = 0;
  readonly #touchedAt = new Map<string, number>();

  /** The count of writes seen so far. */
  now(): number {
    return this.#count;
  }

  /** Notes a write that touched these tags (or everything). */
  touch(tags: Touched): void {
    this.#count++;
    if (tags === 'all') this.#everything = this.#count;
    else for (const tag of tags) this.#touchedAt.set(tag, this.#count);
  }

  /** Whether a write touching any of the tags has been seen after the count `since`. */
  touchedSince(tags: readonly string[], since: number): boolean {
    if (this.#everything > since) return true;
    for (const tag of tags) if ((this.#touchedAt.get(tag) ?? 0) > since) return true;
    return false;
  }
}
