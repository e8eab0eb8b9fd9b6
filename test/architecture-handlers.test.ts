import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * A request handler makes no zod schema: it parses with one made once, beside the routes. Making a
 * schema costs about a hundred times parsing with it (zod writes each object schema's parser anew:
 * 83 µs against 0.3 µs for the shared actors' query, issue 17), so a schema written inside a
 * handler is paid on every request.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Comments and the text of string literals blanked out (kept at their length), so that braces and `z.` in them count for nothing. */
function codeOnly(text: string): string {
  let out = '';
  let i = 0;
  /** How deep in `${ }` each open template literal is (a template inside a template's expression is a new entry). */
  const templates: number[] = [];
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    const inTemplateText = templates.length > 0 && templates.at(-1) === 0;
    if (inTemplateText) {
      if (c === '\\') {
        out += '  ';
        i += 2;
      } else if (c === '`') {
        templates.pop();
        out += c;
        i++;
      } else if (c === '$' && next === '{') {
        templates[templates.length - 1] = 1;
        out += '${';
        i += 2;
      } else {
        out += c === '\n' ? '\n' : ' ';
        i++;
      }
      continue;
    }
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += `${c}${' '.repeat(Math.max(0, j - i - 1))}${c}`;
      i = j + 1;
    } else if (c === '`') {
      templates.push(0);
      out += c;
      i++;
    } else {
      if (templates.length > 0) {
        const depth = templates.at(-1) as number;
        if (c === '{') templates[templates.length - 1] = depth + 1;
        else if (c === '}') templates[templates.length - 1] = depth - 1;
      }
      out += c;
      i++;
    }
  }
  return out;
}

/** The bodies (braces included) of the functions in `code` that take the request as their first parameter. */
function handlerBodies(code: string): string[] {
  const bodies: string[] = [];
  const start =
    /(?:\(\s*request\b[^()]*(?:\([^()]*\)[^()]*)*\)\s*(?::[^={;]+)?=>\s*|function\s+\w*\s*\(\s*request\b[^)]*\)[^{;]*)\{/g;
  for (const m of code.matchAll(start)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    let depth = 0;
    for (let i = open; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) {
        bodies.push(code.slice(open, i + 1));
        break;
      }
    }
  }
  return bodies;
}

/** Where a body makes a zod schema: `z.object(…)` and the other makers, or a schema derived with pick, omit, extend or partial. */
const MAKES_SCHEMA =
  /\bz\s*\.\s*(?:object|string|number|boolean|coerce|enum|union|record|array|literal|preprocess|iso)\b|\.\s*(?:pick|omit|extend|partial)\s*\(/;

t.test('the scan finds a schema made in a handler, and nothing in comments, strings or what runs once', async (t) => {
  const file = `const made = z.object({ a: z.string() }); // once, beside the routes
export const routes = async (app) => {
  const lenient = made.extend({ b: z.number() }); // once, when the routes are registered
  app.get('/a', async (request, reply) => {
    const q = made.parse(request.query); // z.object({}) in a comment
    return reply.send(\`\${q.a} z.string() { in a template\`);
  });
  app.get('/b', async (request: FastifyRequest, reply) => {
    if (request.query) { const s = 'z.object('; }
    const q = z
      .object({ page: z.coerce.number() })
      .parse(request.query);
    return q;
  });
  async function editPage(request: FastifyRequest, values = {}) {
    return made.pick({ a: true }).parse(values);
  }
};`;
  const bodies = handlerBodies(codeOnly(file));
  t.equal(bodies.length, 3, 'the two handlers and the helper that takes the request');
  t.same(
    bodies.map((b) => MAKES_SCHEMA.test(b)),
    [false, true, true],
  );
});

t.test('no request handler in src makes a zod schema', async (t) => {
  const files = (readdirSync(src, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(src, f));
  const scanned = files.map((f) => ({
    file: relative(root, f).split(sep).join('/'),
    code: codeOnly(readFileSync(f, 'utf8')),
  }));
  const handlers = scanned.flatMap(({ file, code }) => handlerBodies(code).map((body) => ({ file, body })));
  t.ok(handlers.length > 150, `the handlers are there to scan (${handlers.length})`);
  const making = handlers
    .filter(({ body }) => MAKES_SCHEMA.test(body))
    .map(({ file, body }) => `${file}: ${body.slice(0, 80).replace(/\s+/g, ' ')}`);
  t.same(making, [], 'make the schema once, beside the routes, and parse with it in the handler');
});
