import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { AppError } from './lib/errors.ts';
import { errorForLog, logMethodHook, maskUrl } from './lib/log-errors.ts';
import type { Principal } from './lib/principal.ts';
import { parseForm, parseQuery } from './lib/querystring.ts';
import { outsideStatementScope, StatementScope } from './lib/statement-scope.ts';
import { spoolUpload, UPLOAD_LIMITS } from './lib/upload.ts';
import { installZodMessages } from './lib/zod-messages.ts';
import { accountAdminRoutes } from './modules/accounts/accounts.admin.routes.ts';
import { accountOwnRoutes } from './modules/accounts/accounts.own.routes.ts';
import { passwordResetRoutes } from './modules/accounts/accounts.reset.routes.ts';
import { accountsRoutes } from './modules/accounts/accounts.routes.ts';
import { actorsApi } from './modules/actors/actors.api.ts';
import { actorMergeRoutes } from './modules/actors/actors.merge.routes.ts';
import { actorsRoutes } from './modules/actors/actors.routes.ts';
import { actionItemsRoutes } from './modules/agreements/agreements.action-items.routes.ts';
import { agreementsApi } from './modules/agreements/agreements.api.ts';
import { agreementsRoutes } from './modules/agreements/agreements.routes.ts';
import { agreementStatusRoutes } from './modules/agreements/agreements.status.routes.ts';
import { applicationDecisionApi } from './modules/applications/applications.decision.api.ts';
import { applicationDecisionRoutes } from './modules/applications/applications.decision.routes.ts';
import { applicationDocumentRoutes } from './modules/applications/applications.documents.routes.ts';
import { applicationQuestionsRoutes } from './modules/applications/applications.questions.routes.ts';
import { applicationReportsRoutes } from './modules/applications/applications.reports.routes.ts';
import { retentionTimer } from './modules/applications/applications.retention.timer.ts';
import { applicationsRoutes } from './modules/applications/applications.routes.ts';
import { applicationsStaffApi } from './modules/applications/applications.staff.api.ts';
import { applicationStaffRoutes } from './modules/applications/applications.staff.routes.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { calendarRoutes } from './modules/calendar/calendar.routes.ts';
import { followUpRoutes } from './modules/follow-up/follow-up.routes.ts';
import { grantsApi } from './modules/grants/grants.api.ts';
import { grantEditRoutes } from './modules/grants/grants.edit.routes.ts';
import { grantRoundsRoutes } from './modules/grants/grants.rounds.routes.ts';
import { grantsRoutes } from './modules/grants/grants.routes.ts';
import { homeRoutes } from './modules/home.routes.ts';
import { importsApi } from './modules/imports/imports.api.ts';
import { importsRoutes } from './modules/imports/imports.routes.ts';
import { createImportRunner, type ImportRunner } from './modules/imports/imports.runner.ts';
import { digestsRoutes } from './modules/mail/digests.routes.ts';
import { mailRoutes } from './modules/mail/mail.routes.ts';
import { createMailSender, type MailSender } from './modules/mail/mail.sender.ts';
import { fileTransport, smtpTransport } from './modules/mail/mail.transport.ts';
import { municipalitiesApi } from './modules/municipalities/municipalities.api.ts';
import { needEstimatesApi } from './modules/need-estimates/need-estimates.api.ts';
import { needEstimatesRoutes } from './modules/need-estimates/need-estimates.routes.ts';
import { outreachApi } from './modules/outreach/outreach.api.ts';
import { outreachRoutes } from './modules/outreach/outreach.routes.ts';
import { publicApi } from './modules/public/public.api.ts';
import { publicRoutes } from './modules/public/public.routes.ts';
import { reportsApi } from './modules/reports/reports.api.ts';
import { reportsRoutes } from './modules/reports/reports.routes.ts';
import { reviewsApi } from './modules/reviews/reviews.api.ts';
import { reviewsRoutes } from './modules/reviews/reviews.routes.ts';
import { targetGroupsApi } from './modules/target-groups/target-groups.api.ts';
import { targetGroupsRoutes } from './modules/target-groups/target-groups.routes.ts';
import { authPlugin } from './plugins/auth.ts';
import { registerCompression } from './plugins/compression.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { flashPlugin } from './plugins/flash.ts';
import { httpContractPlugin } from './plugins/http-contract.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { swaggerPlugin } from './plugins/swagger.ts';
import { viewsPlugin } from './plugins/views.ts';
import { createServices, type Services } from './services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    database: Database;
    /** Set while shutting down: /readyz answers 503. */
    draining: boolean;
    /** Writes queued imports in the background; kicked after an import is committed. */
    importRunner: ImportRunner;
    /** Sends queued mail in the background; kicked after a commit that queued mail. */
    mailSender: Pick<MailSender, 'kick' | 'idle'>;
  }
  interface FastifyRequest {
    principal: Principal;
    /** The name of the file uploaded with a multipart form. */
    uploadName?: string;
    /** Where the file of a route with config.spoolUpload was written (removed after the answer). */
    uploadPath?: string;
  }
}

/**
 * A route's config.spoolUpload: true (an import, at most UPLOAD_LIMITS.bytes), or its own limit and
 * the refusal beyond it (an applicant's document).
 */
type SpoolOptions = true | { maxBytes: number; tooLarge: (maxBytes: number) => AppError };

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

export interface BuildOptions {
  /** An open, migrated database (tests); otherwise one is opened from the config and migrated. */
  database?: Database;
  logger?: boolean;
  /** Where the logs go (tests read them); standard output otherwise. */
  logStream?: { write(line: string): void };
}

/**
 * Structured pino logs without personal data: requests are logged by method, path and id only; the
 * secret in a calendar feed's address is masked; credentials and cookies are never serialised;
 * errors without the values of a failed statement (see lib/log-errors.ts).
 */
function loggerOptions(config: Config) {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'],
      censor: '[skjult]',
    },
    // Errors by code, statement fingerprint and masked message: never a statement's values.
    serializers: {
      err: (err: unknown) => errorForLog(err) as { type: string; message: string; stack: string },
      req: (req: { id?: string; method?: string; url?: string }) => ({
        id: req.id,
        method: req.method,
        url: maskUrl(req.url ?? ''),
      }),
    },
    hooks: { logMethod: logMethodHook },
  };
}

/**
 * Opens and migrates the database the config names, saying what it does: at start the operator sees
 * each step instead of silence.
 */
async function openOwnDatabase(log: FastifyBaseLogger, config: Config): Promise<Database> {
  const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `PGlite i ${config.database.dataDir}`;
  log.info(`Åbner databasen (${where})`);
  const database = await openDatabase(config.database);
  try {
    log.info('Migrerer databasen og opdaterer referencedata (kommuner og FFB-målgrupper)');
    await migrateDatabase(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  installZodMessages();
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : { ...loggerOptions(config), ...(options.logStream ? { stream: options.logStream } : {}) },
    // A request id from the proxy in front is kept when it looks like one; otherwise a new one.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    trustProxy: config.trustProxy,
    requestTimeout: 30_000,
    // Duplicated or nested query parameters are read with the same parser as forms.
    routerOptions: {
      maxParamLength: 200,
      querystringParser: parseQuery,
    },
  }).withTypeProvider<ZodTypeProvider>();
  const database = options.database ?? (await openOwnDatabase(app.log, config));
  const ownsDatabase = !options.database;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.decorate('database', database);
  app.decorate('draining', false);
  // A request's statements are cancelled when its client goes away before the answer is sent,
  // so a page nobody waits for stops holding a connection (PostgreSQL; see StatementScope).
  if (database.kind === 'postgres') {
    app.addHook('preHandler', (_request, reply, done) => {
      const scope = new StatementScope();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) scope.cancel();
      });
      scope.run(done);
    });
  }
  // Every answer carries its request id, to find it in the logs.
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.decorate('services', createServices(database, config));
  // Imports are written in the background; queued ones (a crash's included) resume at start.
  const runner = createImportRunner(app.services.imports, app.log);
  // A request kicks the runner, but the imports it runs are not that request's to cancel.
  const importRunner = { ...runner, kick: () => outsideStatementScope(() => runner.kick()) };
  app.decorate('importRunner', importRunner);
  app.addHook('onReady', async () => importRunner.kick());
  app.addHook('preClose', async () => importRunner.close());
  // Without SMTP_URL, mail is written as .eml files under DATA_DIR/mail/ and nothing is sent.
  if (config.mail.sender) {
    const transport = config.mail.smtpUrl ? smtpTransport(config.mail.smtpUrl) : fileTransport(config.mail.dir);
    const sender = createMailSender(app.services.mail, transport, app.log, { pollMs: config.mail.pollMs });
    app.decorate('mailSender', { kick: () => outsideStatementScope(() => sender.kick()), idle: sender.idle });
    app.addHook('onReady', async () => {
      app.log.info(`Mail: ${config.mail.smtpUrl ? 'sendes via' : 'skrives som .eml-filer i'} ${transport.description}`);
      app.mailSender.kick();
    });
    app.addHook('preClose', async () => sender.close());
    // The reminder digests: each minute, those of municipalities whose time has come (unref'd).
    const digestTimer = setInterval(() => {
      outsideStatementScope(() =>
        app.services.digests
          .runDigests(new Date())
          .then((run) => run.mails && app.mailSender.kick())
          .catch((err) => app.log.error({ err: errorForLog(err) }, 'digest run failed')),
      );
    }, config.mail.digestPollMs);
    digestTimer.unref();
    app.addHook('preClose', async () => clearInterval(digestTimer));
  } else {
    app.decorate('mailSender', { kick: () => {}, idle: async () => {} });
  }
  // Applicants' personal data past its retention is erased where mail is sent, as digests are.
  if (config.mail.sender) await app.register(retentionTimer, { pollMs: config.applications.retention.pollMs });
  // The auth plugin sets it on every request, anonymous until a session or token says otherwise.
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('uploadName', undefined);
  app.decorateRequest('uploadPath', undefined);
  if (ownsDatabase) app.addHook('onClose', async () => database.close());

  await app.register(securityHeadersPlugin, { https: config.https });
  await registerCompression(app);
  await app.register(cookie);
  await app.register(formbody, {
    bodyLimit: 256 * 1024,
    parser: parseForm,
  });
  // Uploads (CSV imports): fields and the file land in request.body, so CSRF is checked as for any form.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    // A route with config.spoolUpload gets the file written to disk as it arrives (its path on the
    // request, removed after the answer). Others take no file: http-contract refuses their multipart
    // bodies before they are read, and a file that reaches one anyway is refused here, unread.
    async onFile(part) {
      this.uploadName = part.filename;
      const spool = (this.routeOptions.config as { spoolUpload?: SpoolOptions } | undefined)?.spoolUpload;
      if (spool) {
        const { path, bytes } =
          spool === true ? await spoolUpload(part.file) : await spoolUpload(part.file, spool.maxBytes, spool.tooLarge);
        // No file chosen: an empty part.
        if (bytes) this.uploadPath = path;
        else await rm(path, { force: true });
        (part as unknown as { value: string }).value = bytes ? 'uploaded' : '';
        return;
      }
      part.file.resume();
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'error.unsupportedMediaType');
    },
    throwFileSizeLimit: false,
    limits: { fileSize: UPLOAD_LIMITS.bytes + 1, files: 1, fields: 50, fieldSize: 64 * 1024 },
  });
  app.addHook('onResponse', async (request) => {
    if (request.uploadPath) await rm(request.uploadPath, { force: true });
  });
  await app.register(viewsPlugin, { cache: config.production, pageCacheTtlMs: config.pageCacheTtlMs });
  // A refusal is written to the audit trail by the audit module: the plugin knows no module.
  await app.register(errorsPlugin, { recordDenied: (denial) => app.services.audit.recordDenied(denial) });
  await app.register(httpContractPlugin);
  await app.register(authPlugin, { config });
  await app.register(flashPlugin, { https: config.https });
  // Static files are not logged at info: one page would otherwise log a line per stylesheet and script.
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/static/',
    maxAge: config.production ? '1d' : 0,
    logLevel: 'warn',
  });
  await app.register(swaggerPlugin);

  // Each module's routes, listed explicitly.
  await app.register(homeRoutes, { config });
  await app.register(accountsRoutes, { config });
  await app.register(accountOwnRoutes, { config });
  await app.register(accountAdminRoutes);
  await app.register(passwordResetRoutes);
  await app.register(mailRoutes);
  await app.register(digestsRoutes);
  await app.register(actorsRoutes);
  await app.register(actorMergeRoutes);
  await app.register(targetGroupsRoutes);
  await app.register(auditRoutes);
  await app.register(grantRoundsRoutes);
  await app.register(grantsRoutes);
  await app.register(grantEditRoutes);
  await app.register(agreementsRoutes);
  await app.register(actionItemsRoutes);
  await app.register(agreementStatusRoutes);
  await app.register(followUpRoutes);
  await app.register(needEstimatesRoutes);
  await app.register(reportsRoutes);
  await app.register(outreachRoutes);
  await app.register(calendarRoutes);
  await app.register(importsRoutes);
  await app.register(applicationsRoutes);
  await app.register(applicationDocumentRoutes);
  await app.register(reviewsRoutes);
  await app.register(applicationQuestionsRoutes);
  await app.register(applicationStaffRoutes);
  await app.register(applicationDecisionRoutes);
  await app.register(applicationReportsRoutes);
  await app.register(publicRoutes, { config });
  await app.register(municipalitiesApi);
  await app.register(targetGroupsApi);
  await app.register(actorsApi);
  await app.register(grantsApi);
  await app.register(agreementsApi);
  await app.register(needEstimatesApi);
  await app.register(reportsApi);
  await app.register(outreachApi);
  await app.register(importsApi);
  await app.register(publicApi);
  await app.register(reviewsApi);
  await app.register(applicationsStaffApi);
  await app.register(applicationDecisionApi);

  return app;
}
