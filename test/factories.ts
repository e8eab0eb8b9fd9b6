import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ActorInput } from '../src/modules/actors/actors.schemas.ts';

const WEIGHTS = [2, 7, 6, 5, 4, 3, 2];

/** A CVR number that passes modulus-11, made from a seed so tests are repeatable. */
export function validCvr(seed: number): string {
  for (let n = seed; ; n++) {
    const base = String(1_000_000 + (n % 9_000_000)).padStart(7, '0');
    const sum = [...base].reduce((s, d, i) => s + Number(d) * (WEIGHTS[i] as number), 0);
    const check = (11 - (sum % 11)) % 11;
    if (check < 10) return `${base}${check}`;
  }
}

/** The same digits with the last one changed: fails modulus-11. */
export function invalidCvr(seed: number): string {
  const ok = validCvr(seed);
  return `${ok.slice(0, 7)}${(Number(ok[7]) + 1) % 10}`;
}

export function actorInput(overrides: Partial<ActorInput> = {}): ActorInput {
  return {
    name: 'Foreningen Gadens Stemme',
    orgType: 'association',
    roles: ['advocate'],
    homeMunicipalityCode: 101,
    municipalityCodes: [101, 147],
    targetGroupIds: [],
    contacts: [{ name: 'Mette Hansen', role: 'Formand', email: 'mette@example.dk', phone: '+45 12 34 56 78' }],
    status: 'active',
    ...overrides,
  };
}

/** An actor registered through the API by the client; its id. */
export async function registeredActor(
  client: { inject(opts: InjectOptions): Promise<LightMyRequestResponse> },
  overrides: Partial<ActorInput> = {},
): Promise<{ id: number }> {
  const res = await client.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput(overrides) });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { id: number };
}

/** Outreach presence by the API: Tuesdays 10–12 in March and April 2027. */
export function outreachInput(actorId: number, overrides: Record<string, unknown> = {}) {
  return {
    actorId,
    kind: 'casework',
    unit: 'Jobcentrets hjemløseteam',
    weekdays: [2],
    startsAt: '10:00',
    endsAt: '12:00',
    periodStart: '2027-03-01',
    periodEnd: '2027-04-30',
    ...overrides,
  };
}

/**
 * An active informal agreement in the client's municipality with a new actor, made through the API
 * (the actor as the test app's admin, the agreement as the client).
 */
export async function activeAgreement(
  h: { inject(opts: InjectOptions): Promise<LightMyRequestResponse> },
  client: { inject(opts: InjectOptions): Promise<LightMyRequestResponse> },
  startsOn: string,
): Promise<{ id: number; actorId: number }> {
  const actor = await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ contacts: [] }) });
  if (actor.statusCode !== 201) throw new Error(actor.body);
  const actorId = (actor.json() as { id: number }).id;
  const agreement = await client.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: { title: 'Aftale om natcaféen', kind: 'informal', actorIds: [actorId], status: 'active', startsOn },
  });
  if (agreement.statusCode !== 201) throw new Error(agreement.body);
  return { id: (agreement.json() as { id: number }).id, actorId };
}
