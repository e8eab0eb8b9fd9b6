/**
 * The benchmark's baseline: a bare Fastify route rendering a 50-row eta page, nothing else (no
 * database, no session, no layout). Started as its own process by bench/run.ts.
 */
import { Eta } from 'eta';
import Fastify from 'fastify';

const eta = new Eta({ autoEscape: true });
const template = `<!doctype html><html lang="da"><head><title>Baseline</title></head><body><table>
<% for (const r of it.rows) { %><tr><td><%= r.id %></td><td><%= r.name %></td><td><%= r.amount %></td></tr><% } %>
</table></body></html>`;
const rows = Array.from({ length: 50 }, (_, i) => ({
  id: i + 1,
  name: `Forening nr. ${i + 1} – Æblehaven`,
  amount: `${(i + 1) * 1000},00 kr.`,
}));

const app = Fastify({ logger: false });
app.get('/', async (_request, reply) =>
  reply.type('text/html; charset=utf-8').send(eta.renderString(template, { rows })),
);
const port = Number(process.env.PORT ?? 3901);
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
