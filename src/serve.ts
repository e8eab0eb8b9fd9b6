import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';

/**
 * Listens, and shuts down gracefully on SIGTERM or SIGINT: it drains for SHUTDOWN_GRACE_MS (serving,
 * but not ready), then stops taking connections, answers the requests in flight, and closes the database. A second signal, or ten seconds, forces it.
 */
export async function serve(app: FastifyInstance, config: Config): Promise<void> {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 10_000);
    force.unref();
    try {
      // Draining: /readyz says 503 so the balancer stops sending, while requests on their way are answered.
      app.draining = true;
      await new Promise((r) => setTimeout(r, config.shutdownGraceMs));
      await app.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info(await readyLine(app, address));
}

/** The one line that says the app answers, and where to begin: setting up the first admin, or signing in. */
export async function readyLine(app: FastifyInstance, address: string): Promise<string> {
  const start = (await app.services.accounts.hasUsers()) ? '/login' : '/setup';
  return `Samspil er klar på ${address} (start på ${address}${start})`;
}
