/**
 * The retention of applicants' personal data (issue 21, docs/applications.md): an approved
 * application's is kept for the bookkeeping period (APPLICATION_RETENTION_YEARS after the end of the
 * round's financial year, and while its grant is still approved or paid), a rejected one's for
 * REJECTED_APPLICATION_RETENTION_DAYS after the decision, as is a sent one left undecided in a closed
 * or decided round (after the round's decision date, else its close date), an abandoned draft's for
 * DRAFT_RETENTION_DAYS after it was last saved; then it is erased, with the mails about it, each
 * application in its own transaction with its audit record. Runs on a timer in the process that
 * sends mail (app.ts) and as `npm run cli -- applications erase`. Knows nothing of HTTP.
 */
import type { Config } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { scrubApplicationMails } from '../mail/mail.repository.ts';
import {
  addressHeldByAnother,
  dueForErasure,
  ERASED_EMAIL,
  eraseApplication,
  forgetApplicantIfDone,
  lockForErasure,
  type RetentionLimits,
  type RetentionRule,
} from './applications.retention.repository.ts';

const DAY = 86_400_000;
/** Applications erased in one run at most: a run is short, and the next tick takes the rest. */
const BATCH = 100;

/** The limits in force at `now`: what was decided, saved or financed before them is due. */
function retentionLimits(config: Config['applications']['retention'], now: Date): RetentionLimits {
  const today = danishDate(now);
  const year = Number(today.slice(0, 4));
  // Day arithmetic on the Danish date itself (at UTC midnight, so no daylight saving shifts it).
  const daysBefore = (days: number) =>
    new Date(new Date(`${today}T00:00:00Z`).getTime() - days * DAY).toISOString().slice(0, 10);
  return {
    approvedUpToYear: year - 1 - config.approvedYears,
    rejectedBefore: new Date(now.getTime() - config.rejectedDays * DAY),
    draftsBefore: new Date(now.getTime() - config.draftDays * DAY),
    undecidedRoundsBefore: daysBefore(config.rejectedDays),
  };
}

export function createRetentionService(database: Database, config: Config) {
  const db = database.db;
  const settings = config.applications.retention;

  /** Erases one application's personal data, audited as the system in the round's municipality. */
  async function erase(id: number, rule: RetentionRule, now: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const application = await lockForErasure(tx, id);
      if (!application) return false;
      const erased = await eraseApplication(tx, id, now);
      // Its mails cannot be told from those of another application to the same address in the
      // municipality: while one holds the address, its queued mails are still sent.
      const mails = await scrubApplicationMails(tx, {
        recipient: application.contactEmail,
        municipalityCode: application.municipalityCode,
        placeholder: ERASED_EMAIL,
        cancelQueued: !(await addressHeldByAnother(tx, id, application.contactEmail, application.municipalityCode)),
      });
      const applicantForgotten = await forgetApplicantIfDone(tx, application.applicantId);
      await recordAudit(
        tx,
        { userId: null, municipalityCode: application.municipalityCode, role: null, name: 'system' },
        {
          entity: 'application',
          entityId: id,
          action: 'application_erased',
          after: {
            rule,
            ...erased,
            decisionReasons: application.hasDecisionReasons,
            mailsScrubbed: mails.scrubbed,
            mailsCancelled: mails.cancelled,
            applicantId: application.applicantId,
            applicantForgotten,
          },
        },
      );
      return true;
    });
  }

  /** One run: one statement finds what is due (nothing more happens when nothing is), then each is erased. */
  async function run(now: Date) {
    const due = await dueForErasure(db, retentionLimits(settings, now), BATCH);
    let erased = 0;
    for (const { id, rule } of due) if (await erase(id, rule, now)) erased++;
    return { found: due.length, erased };
  }

  return {
    /** One run at `now` (the timer's tick): returns how many applications were erased. */
    async eraseDue(now: Date): Promise<number> {
      return (await run(now)).erased;
    },

    /** Runs until nothing is due (the CLI): returns how many applications were erased. */
    async eraseAllDue(now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const { found, erased } = await run(now);
        total += erased;
        if (found < BATCH) return total;
      }
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
