import type { FastifyReply, FastifyRequest } from 'fastify';
import { formValues } from '../lib/forms.ts';

/**
 * Destructive and final actions ask first (issue 19, point 1). The action's own form posts as
 * before; a POST without `confirm=yes` changes nothing and answers a page that says what will
 * happen, with a "Ja, …" button that posts the same fields again with `confirm=yes`, and a
 * "Fortryd" link back. It is plain HTML, so it works without JavaScript and reads the same to a
 * screen reader. The route checks permission (through the policy module) before it asks: a user
 * who may not act gets the 403, never the question.
 */
export interface Confirmation {
  /** The question, as the page's heading and title: "Afslut aftalen »Café Fællesskab«?" */
  question: string;
  /** What will happen, one sentence an item. */
  consequences: string[];
  /** The submit button: "Ja, afslut aftalen". */
  yes: string;
  /** Where "Fortryd" leads: the page the action was started from. */
  back: string;
  /** The fields the action's form sent, sent again (the version read, the step chosen). */
  fields?: Record<string, string | number | null | undefined>;
  /** A choice the user makes while confirming, as radio buttons (the first is checked). */
  choice?: { name: string; legend: string; options: { value: string; label: string; hint?: string }[] };
}

/** Has the user said yes on the confirmation page? */
export function confirmed(request: FastifyRequest): boolean {
  return formValues(request.body).confirm === 'yes';
}

/** Answers the confirmation page for the action the request posted to. */
export function askFirst(request: FastifyRequest, reply: FastifyReply, c: Confirmation): Promise<FastifyReply> {
  const fields = Object.entries(c.fields ?? {}).flatMap(([name, value]) =>
    value === undefined || value === null ? [] : [{ name, value: String(value) }],
  );
  return reply.page('confirm', {
    title: c.question,
    question: c.question,
    consequences: c.consequences,
    yes: c.yes,
    back: c.back,
    action: request.url,
    fields,
    choice: c.choice,
  });
}
