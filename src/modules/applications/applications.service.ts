/**
 * Applying for a § 18 grant without an account (issue 21): a draft or an application is saved from
 * the public form, and a secret link by e-mail (only its hash is stored) leads back to it, where a
 * draft is finished and documents are added (applications.documents.ts). Knows nothing of HTTP.
 */
import type { Config } from '../../config.ts';
import type { Database, Queryable } from '../../db/client.ts';
import { createRateLimiter } from '../../db/rate-limits.ts';
import { danishDate } from '../../lib/dates.ts';
import { commandScanner, type DocumentScanner, noScanner } from '../../lib/document-scan.ts';
import { AppError, type FieldErrors, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { formatDate, type Locale } from '../../lib/format.ts';
import { newSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import { findRound } from '../grants/grants.rounds.repository.ts';
import { roundPhase, roundTakesApplications } from '../grants/grants.rules.ts';
import { queueMail } from '../mail/mail.compose.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import type { TargetGroupService } from '../target-groups/target-groups.service.ts';
import { applicationDocumentMethods } from './applications.documents.ts';
import {
  type ApplicationRow,
  applicantByEmail,
  applicationByLink,
  insertApplication,
  insertLink,
  replaceTargetGroups,
  targetGroupsOf,
  updateDraftIfVersion,
} from './applications.repository.ts';
import { applicantActor, applicationValues, linkHash } from './applications.rules.ts';
import type { ApplicationInput } from './applications.schemas.ts';

/** Who sends a form: the address it came from (for the rate limit) and the language of the mail. */
export interface Origin {
  ip: string;
  locale: Locale;
}
export type Intent = 'draft' | 'submit';

const HOUR = 3_600_000;

export function createApplicationService(
  database: Database,
  config: Config,
  deps: { targetGroups: TargetGroupService; municipalities: MunicipalityService; scanner?: DocumentScanner },
) {
  const db = database.db;
  const mailContext = { publicUrl: config.mail.publicUrl, from: config.mail.from };
  const perIp = createRateLimiter(db, { name: 'apply-ip', limit: config.applications.limitPerIp, windowMs: HOUR });
  const perEmail = createRateLimiter(db, {
    name: 'apply-email',
    limit: config.applications.limitPerEmail,
    windowMs: HOUR,
  });
  const scanner =
    deps.scanner ?? (config.applications.scanCommand ? commandScanner(config.applications.scanCommand) : noScanner);

  /** The FFB target groups (no municipality's local ones), as a tree in reading order. */
  const ffbGroups = async () => (await deps.targetGroups.tree()).filter((g) => g.municipalityCode === null);

  async function roundOf(db: Queryable, roundId: number): Promise<RoundRow> {
    const round = await findRound(db, roundId);
    if (!round) throw notFound('grant_round', roundId);
    return round;
  }

  /** A round the public pages show (not one still planned without a window): 404 for any other. */
  async function publicRoundOf(roundId: number): Promise<RoundRow> {
    const round = await roundOf(db, roundId);
    if (roundPhase(round) === null) throw notFound('grant_round', roundId);
    return round;
  }

  function assertTakesApplications(round: RoundRow) {
    if (!roundTakesApplications(round, danishDate()))
      throw new AppError('APPLICATIONS_CLOSED', 409, 'applications.closed', { details: { roundId: round.id } });
  }

  /** One attempt counted for the address and the e-mail address; 429 beyond either limit. */
  /**
   * The limits per address sending and per e-mail address written to. The latter counts only where
   * a mail may go to an address not yet proven (a new application, or a link's draft given another
   * address): a stranger who types someone's address cannot use up what that applicant's own link
   * may save.
   */
  async function admit(origin: Origin, newEmail: string | undefined) {
    const ipOk = await perIp.take(origin.ip);
    const emailOk = newEmail === undefined || (await perEmail.take(newEmail.toLowerCase()));
    if (!ipOk || !emailOk) throw new AppError('APPLICATION_RATE_LIMITED', 429, 'applications.rateLimited');
  }

  /** Target groups that are FFB groups and municipalities that exist, or the fields' errors (400). */
  async function checkReferences(input: ApplicationInput) {
    const errors: FieldErrors = {};
    const known = new Set((await ffbGroups()).map((g) => g.id));
    input.targetGroups.forEach((line, i) => {
      if (!known.has(line.targetGroupId))
        errors[`targetGroups.${i}.targetGroupId`] = ['applications.targetGroups.unknown'];
    });
    if ((await deps.municipalities.unknownCodes(input.municipalityCodes)).length)
      errors.municipalityCodes = ['validation.unknownMunicipality'];
    if (Object.keys(errors).length) throw validationFailed(errors);
  }

  async function queueApplicationMail(
    tx: Queryable,
    application: ApplicationRow,
    round: RoundRow,
    token: string,
    locale: Locale,
    municipality: string,
  ) {
    const submitted = application.status === 'submitted';
    await queueMail(tx, mailContext, {
      kind: submitted ? 'application-receipt' : 'application-draft',
      to: application.contactEmail,
      municipalityCode: round.municipalityCode,
      locale,
      data: {
        round: round.name,
        municipality,
        title: application.projectTitle ?? '',
        number: application.id,
        link: `${config.mail.publicUrl}/public/applications/${token}`,
        date: formatDate(round.applicationsCloseOn, locale),
      },
    });
  }

  /**
   * The municipality's name, read before a transaction begins: the reference caches read on the
   * database, not the transaction, which on PGlite (one connection) would wait for it forever.
   */
  const municipalityName = async (round: RoundRow) =>
    (await deps.municipalities.byCode()).get(round.municipalityCode)?.name ?? '';

  async function saved(tx: Queryable, application: ApplicationRow, round: RoundRow, input: ApplicationInput) {
    await replaceTargetGroups(
      tx,
      application.id,
      input.targetGroups.map((l) => ({
        targetGroupId: l.targetGroupId,
        expectedParticipants: l.expectedParticipants ?? null,
      })),
    );
    await recordAudit(tx, applicantActor(round.municipalityCode), {
      entity: 'application',
      entityId: application.id,
      action: application.status === 'submitted' ? 'application_submitted' : 'application_draft_saved',
      after: { roundId: round.id, status: application.status, version: application.version },
    });
  }

  return {
    ...applicationDocumentMethods(database, { scanner, roundOf, assertTakesApplications }),

    /** The round an applicant applies to, and whether it takes applications today. */
    async roundForApplying(roundId: number): Promise<{ round: RoundRow; open: boolean }> {
      const round = await publicRoundOf(roundId);
      return { round, open: roundTakesApplications(round, danishDate()) };
    },

    /** What the form lets an applicant choose among. */
    async formChoices() {
      const [targetGroups, municipalities] = await Promise.all([ffbGroups(), deps.municipalities.all()]);
      return { targetGroups, municipalities };
    },

    /**
     * A new application from the public form, as a draft or sent: the applicant, the application,
     * its target groups, its link and the mail with the link (the receipt when sent), and the audit
     * record, in one transaction. Returns the link's token, which is stored only as a hash.
     */
    async apply(roundId: number, intent: Intent, input: ApplicationInput, origin: Origin) {
      const round = await publicRoundOf(roundId);
      assertTakesApplications(round);
      await admit(origin, input.contactEmail);
      await checkReferences(input);
      const municipality = await municipalityName(round);
      const token = newSecret();
      const application = await db.transaction(async (tx) => {
        const applicantId = await applicantByEmail(tx, input.contactEmail);
        const status = intent === 'submit' ? ('submitted' as const) : ('draft' as const);
        const row = await insertApplication(tx, {
          ...applicationValues(input, new Date()),
          locale: origin.locale,
          roundId,
          applicantId,
          status,
        });
        await insertLink(tx, row.id, linkHash(token));
        await saved(tx, row, round, input);
        await queueApplicationMail(tx, row, round, token, origin.locale, municipality);
        return row;
      });
      return { token, application };
    },

    /** The application a link leads to, with its round and target groups; 404 for any other token. */
    async byLink(token: string) {
      const application = await applicationByLink(db, linkHash(token));
      if (!application) throw notFound('application', 'link');
      const [round, targetGroups, documents] = await Promise.all([
        roundOf(db, application.roundId),
        targetGroupsOf(db, application.id),
        this.documentsOf(application.id),
      ]);
      return { application, round, open: roundTakesApplications(round, danishDate()), targetGroups, documents };
    },

    /**
     * A draft saved again or sent through its link, from the version read. A sent application is
     * not changed (409), nor one changed meanwhile (409). Sending queues the receipt.
     */
    async updateByLink(token: string, intent: Intent, version: number, input: ApplicationInput, origin: Origin) {
      const current = await applicationByLink(db, linkHash(token));
      if (!current) throw notFound('application', 'link');
      const sent = () =>
        new AppError('APPLICATION_SENT', 409, 'applications.alreadySent', { details: { id: current.id } });
      if (current.status !== 'draft') throw sent();
      const round = await roundOf(db, current.roundId);
      assertTakesApplications(round);
      const sameAddress = current.contactEmail.toLowerCase() === input.contactEmail.toLowerCase();
      await admit(origin, sameAddress ? undefined : input.contactEmail);
      await checkReferences(input);
      const municipality = await municipalityName(round);
      return db.transaction(async (tx) => {
        const row = await updateDraftIfVersion(
          tx,
          current.id,
          version,
          { ...applicationValues(input, new Date()), locale: origin.locale },
          intent === 'submit',
        );
        if (!row) {
          const now = await applicationByLink(tx, linkHash(token));
          if (now?.status !== 'draft') throw sent();
          throw staleVersion('application', { version: now.version });
        }
        await saved(tx, row, round, input);
        if (row.status === 'submitted') await queueApplicationMail(tx, row, round, token, origin.locale, municipality);
        return row;
      });
    },
  };
}

export type ApplicationService = ReturnType<typeof createApplicationService>;
