/**
 * Questions from the municipality to an applicant, and the answers that come back through the
 * secret link (issue 21). Asking queues a mail in the application's language with a fresh link (the
 * old token cannot be rebuilt from its hash); an answer once given stays as given. Knows nothing of HTTP.
 */
import type { Config } from '../../config.ts';
import type { Database, Queryable } from '../../db/client.ts';
import { createRateLimiter } from '../../db/rate-limits.ts';
import { AppError, notFound, staleVersion } from '../../lib/errors.ts';
import { assertMayAskApplicant, assertMayReadApplicationQuestions, mayAskApplicant } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { queueMail } from '../mail/mail.compose.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import type { ReviewService } from '../reviews/reviews.service.ts';
import { answerIfOpen, insertQuestion, questionOf, questionsOf } from './applications.questions.repository.ts';
import type { AnswerInput, QuestionInput } from './applications.questions.schemas.ts';
import { applicationByLink, insertLink } from './applications.repository.ts';
import { applicantActor, isUndecided, linkHash } from './applications.rules.ts';
import { sentApplication } from './applications.staff.repository.ts';

const HOUR = 3_600_000;

/** The municipality may ask while an application is sent and not yet decided. */
const takesQuestions = isUndecided;

/**
 * What the questions page shows of an application, and what its rules need (its round's
 * municipality): through the staff side's one lookup, so a draft (the applicant's alone) is none.
 */
async function applicationForQuestions(db: Queryable, id: number, forUpdate = false) {
  const found = await sentApplication(db, id, forUpdate);
  if (!found) return undefined;
  const { application: a, municipalityCode, roundName } = found;
  return {
    id: a.id,
    status: a.status,
    projectTitle: a.projectTitle,
    contactEmail: a.contactEmail,
    locale: a.locale,
    erasedAt: a.erasedAt,
    roundId: a.roundId,
    roundName,
    municipalityCode,
  };
}
type ApplicationForQuestions = NonNullable<Awaited<ReturnType<typeof applicationForQuestions>>>;

export function createQuestionService(
  database: Database,
  config: Config,
  deps: {
    municipalities: MunicipalityService;
    /** Whoever declared a conflict of interest on the application does not ask its applicant. */
    reviews: Pick<ReviewService, 'assertNotConflicted'>;
  },
) {
  const db = database.db;
  const mailContext = { publicUrl: config.mail.publicUrl, from: config.mail.from };
  const perIp = createRateLimiter(db, { name: 'answer-ip', limit: config.applications.limitPerIp, windowMs: HOUR });
  const perApplication = createRateLimiter(db, {
    name: 'answer-application',
    limit: config.applications.limitPerEmail,
    windowMs: HOUR,
  });

  async function readable(principal: Principal, applicationId: number): Promise<ApplicationForQuestions> {
    const application = await applicationForQuestions(db, applicationId);
    if (!application) throw notFound('application', applicationId);
    assertMayReadApplicationQuestions(principal, application.municipalityCode);
    return application;
  }

  const notTakingQuestions = (a: { id: number; status: string }) =>
    new AppError('APPLICATION_NOT_TAKING_QUESTIONS', 409, 'applications.questions.notNow', {
      details: { id: a.id, status: a.status },
    });

  async function queueQuestionMail(tx: Queryable, a: ApplicationForQuestions, token: string, municipality: string) {
    await queueMail(tx, mailContext, {
      kind: 'application-question',
      to: a.contactEmail,
      municipalityCode: a.municipalityCode,
      locale: a.locale,
      // The question itself is not in the mail: it may name people, and the link shows it.
      data: {
        round: a.roundName,
        municipality,
        title: a.projectTitle ?? '',
        number: a.id,
        link: `${config.mail.publicUrl}/public/applications/${token}`,
      },
    });
  }

  /** Whether the principal declared a conflict of interest on the application (kept out of asking). */
  async function conflicted(principal: Principal, applicationId: number) {
    if (principal.userId === null) return false;
    try {
      await deps.reviews.assertNotConflicted(applicationId, principal.userId);
      return false;
    } catch (err) {
      if (err instanceof AppError && err.code === 'REVIEWER_CONFLICTED') return true;
      throw err;
    }
  }

  return {
    /**
     * Who may ask, settled before anything else: 404 outside the round's municipality (and for a
     * draft), 403 for a reader, and 403 (REVIEWER_CONFLICTED) for whoever declared a conflict of interest.
     */
    async assertMayAsk(principal: Principal, applicationId: number) {
      const application = await readable(principal, applicationId);
      assertMayAskApplicant(principal, application.municipalityCode);
      if (principal.userId !== null) await deps.reviews.assertNotConflicted(applicationId, principal.userId);
      return application;
    },

    /** An application's conversation as staff see it; 404 outside the round's municipality. */
    async conversation(principal: Principal, applicationId: number) {
      const application = await readable(principal, applicationId);
      return {
        application,
        questions: await questionsOf(db, applicationId),
        mayAsk:
          mayAskApplicant(principal, application.municipalityCode) &&
          takesQuestions(application.status) &&
          !(await conflicted(principal, applicationId)),
      };
    },

    /**
     * A question to the applicant: stored, audited, and mailed with a fresh link in the language the
     * applicant wrote in, in one transaction. Only a sent, undecided application takes questions (409).
     */
    async ask(principal: Principal, applicationId: number, input: QuestionInput) {
      const seen = await this.assertMayAsk(principal, applicationId);
      if (!takesQuestions(seen.status)) throw notTakingQuestions(seen);
      const municipality = (await deps.municipalities.byCode()).get(seen.municipalityCode)?.name ?? '';
      const token = newSecret();
      const question = await db.transaction(async (tx) => {
        const a = await applicationForQuestions(tx, applicationId, true);
        if (!a) throw notFound('application', applicationId);
        if (!takesQuestions(a.status)) throw notTakingQuestions(a);
        const row = await insertQuestion(tx, { applicationId, askedBy: principal.userId as number, body: input.body });
        await insertLink(tx, applicationId, linkHash(token));
        await recordAudit(tx, principal, {
          entity: 'application_question',
          entityId: row.id,
          action: 'application_question_asked',
          after: { applicationId, version: row.version },
        });
        await queueQuestionMail(tx, a, token, municipality);
        return row;
      });
      return question;
    },

    /** The questions on the applicant's own page (the link already resolved to the application). */
    questionsForApplicant: (applicationId: number) => questionsOf(db, applicationId),

    /** One question behind a link: 404 for a link that is none, or for another application's question. */
    async questionByLink(token: string, questionId: number) {
      const application = await applicationByLink(db, linkHash(token));
      if (!application) throw notFound('application', 'link');
      const question = await questionOf(db, application.id, questionId);
      if (!question) throw notFound('application_question', questionId);
      return { application, question };
    },

    /**
     * The applicant's answer through the link, from the version read. Counted against the address's
     * and the application's hourly limits (429); an answer already given is not changed (409).
     */
    async answer(token: string, questionId: number, input: AnswerInput, ip: string) {
      const { application, question } = await this.questionByLink(token, questionId);
      const ipOk = await perIp.take(ip);
      const applicationOk = await perApplication.take(String(application.id));
      if (!ipOk || !applicationOk) throw new AppError('APPLICATION_RATE_LIMITED', 429, 'applications.rateLimited');
      const answered = () =>
        new AppError('QUESTION_ANSWERED', 409, 'applications.questions.alreadyAnswered', {
          details: { id: question.id },
        });
      if (question.answeredAt) throw answered();
      const round = await applicationForQuestions(db, application.id);
      if (!round) throw notFound('application', 'link');
      return db.transaction(async (tx) => {
        const row = await answerIfOpen(tx, application.id, question.id, input.version, input.answer);
        if (!row) {
          const now = await questionOf(tx, application.id, question.id);
          if (now?.answeredAt) throw answered();
          throw staleVersion('application_question', { version: now?.version });
        }
        await recordAudit(tx, applicantActor(round.municipalityCode), {
          entity: 'application_question',
          entityId: row.id,
          action: 'application_question_answered',
          after: { applicationId: application.id, version: row.version },
        });
        return row;
      });
    },
  };
}

export type QuestionService = ReturnType<typeof createQuestionService>;
