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

/** Where a `/` begins a regular expression rather than dividing: after an operator, a bracket or a keyword. */
const BEFORE_REGEX = /(?:^|[(,=:[!&|?{};+\-*%<>~^]|\b(?:return|typeof|case|of|in|void|delete|throw|yield|await))\s*$/;

/** The end (exclusive) of the regular expression literal that starts at `start`, or -1 where it is none. */
function regexEnd(text: string, start: number): number {
  let inClass = false;
  for (let j = start + 1; j < text.length; j++) {
    const ch = text[j];
    if (ch === '\n') return -1;
    if (ch === '\\') j++;
    else if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    else if (ch === '/' && !inClass) {
      let end = j + 1;
      while (end < text.length && /[a-z]/.test(text[end] as string)) end++;
      return end;
    }
  }
  return -1;
}

/**
 * Comments and the text of string, template and regular expression literals blanked out (kept at
 * their length), so that braces and `z.` in them count for nothing.
 */
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
    } else if (c === '/' && BEFORE_REGEX.test(out.slice(-40)) && regexEnd(text, i) > 0) {
      const end = regexEnd(text, i);
      out += `/${' '.repeat(end - i - 2)}/`;
      i = end;
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

/** The end (exclusive) of the bracketed text that opens at `open`. */
function closingOf(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const ch = code[i];
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    else if ((ch === '}' || ch === ')' || ch === ']') && --depth === 0) return i + 1;
  }
  return code.length;
}

/** The end (exclusive) of an arrow function's expression body that starts at `from`: the bracket, comma or semicolon that ends it. */
function expressionEnd(code: string, from: number): number {
  let depth = 0;
  for (let i = from; i < code.length; i++) {
    const ch = code[i];
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    else if (ch === '}' || ch === ')' || ch === ']') {
      if (--depth < 0) return i;
    } else if ((ch === ',' || ch === ';') && depth === 0) return i;
  }
  return code.length;
}

/**
 * The bodies of the functions in `code` that take the request as their first parameter: arrow
 * functions (a block or an expression), function declarations and expressions, and methods.
 */
function handlerBodies(code: string): string[] {
  const bodies: string[] = [];
  const parameters = String.raw`\(\s*request\b[^()]*(?:\([^()]*\)[^()]*)*\)`;
  const arrow = new RegExp(String.raw`${parameters}\s*(?::[^=;]+?)?=>\s*`, 'g');
  for (const m of code.matchAll(arrow)) {
    const from = (m.index ?? 0) + m[0].length;
    bodies.push(code.slice(from, code[from] === '{' ? closingOf(code, from) : expressionEnd(code, from)));
  }
  const named = new RegExp(
    String.raw`(?:function\s*\*?\s*\w*|\b(?!if\b|while\b|for\b|switch\b|catch\b)\w+)\s*${parameters}\s*(?::[^{;=]*)?\{`,
    'g',
  );
  for (const m of code.matchAll(named)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    bodies.push(code.slice(open, closingOf(code, open)));
  }
  return bodies;
}

/**
 * Where a body makes a zod schema: `z.object(…)` and the other makers, or a schema derived from
 * another (pick, omit, extend, partial, required, optional, nullable, nullish; not `merge`, which the
 * actor merges name a service method).
 */
const MAKES_SCHEMA = new RegExp(
  String.raw`\bz\s*\.\s*(?:object|strictObject|looseObject|string|number|int|boolean|bigint|date|coerce|enum|union|discriminatedUnion|intersection|record|partialRecord|array|tuple|literal|preprocess|custom|lazy|email|url|uuid|iso)\b` +
    String.raw`|\.\s*(?:pick|omit|extend|safeExtend|partial|required|optional|nullable|nullish)\s*\(`,
);

t.test('the scan finds a schema made in a handler, and nothing in comments, strings or what runs once', async (t) => {
  const file = `const made = z.object({ a: z.string() }); // once, beside the routes
export const routes = async (app) => {
  const lenient = made.extend({ b: z.number() }); // once, when the routes are registered
  app.get('/a', async (request, reply) => {
    const q = made.parse(request.query); // z.object({}) in a comment
    const s = 'z.object(' + "z.string({";
    return reply.send(\`\${q.a} z.string() { in a template\`);
  });
  app.get('/b', async (request: FastifyRequest, reply) => {
    const q = z
      .object({ page: z.coerce.number() })
      .parse(request.query);
    return q;
  });
  async function editPage(request: FastifyRequest, values = {}) {
    return made.pick({ a: true }).parse(values);
  }
  app.get('/c', (request) => z.object({ id: z.string() }).parse(request.params), { config: {} });
  app.get('/d', async (request) => {
    const brace = /[}\`]+z.object(/g.test(String(request.url));
    return { brace, page: made.parse(request.query) };
  });
  const handlers = {
    list(request: FastifyRequest) {
      return made.optional().parse(request.query);
    },
  };
};`;
  const bodies = handlerBodies(codeOnly(file));
  t.same(
    bodies.map((b) => MAKES_SCHEMA.test(b)),
    // The arrows first (a, b, c, d), then the function and the method.
    [false, true, true, false, true, true],
  );
  t.match(bodies[3], /return \{ brace, page: made\.parse\(request\.query\) \}/, 'a regular expression ends no body');
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
