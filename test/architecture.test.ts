import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * Which way the imports point (issue 17, "one place for each rule"). Plugins sit below the modules:
 * a module's rules and SQL reach a plugin only through what the app passes in (errors.ts is given
 * the audit module's recorder), never through an import. A module's HTML routes and its JSON API
 * share what they need through a neutral file of the module, not through each other; only app.ts
 * registers a routes file.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

const posix = (path: string) => path.split(sep).join('/');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The relative files a source file imports (static, re-exported or dynamic), resolved to src/…. */
function localImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specifiers = [
    ...text.matchAll(/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1] ?? '');
  return specifiers.filter((s) => s.startsWith('.')).map((s) => posix(relative(root, resolve(dirname(file), s))));
}

const isServiceOrRepository = (path: string) => /^src\/modules\/.+\.(service|repository)\.ts$/.test(path);

t.test('the import scan reads every form of import', async (t) => {
  const file = join(src, 'plugins', 'example.ts');
  const text = [
    "import { a } from '../modules/x/x.service.ts';",
    "import type {\n  B,\n  C,\n} from '../modules/x/x.repository.ts';",
    "export { d } from './d.ts';",
    "const e = await import('../lib/e.ts');",
    "import '../side-effect.ts';",
    "import fp from 'fastify-plugin';",
  ].join('\n');
  t.same(localImports(file, text), [
    'src/modules/x/x.service.ts',
    'src/modules/x/x.repository.ts',
    'src/plugins/d.ts',
    'src/lib/e.ts',
    'src/side-effect.ts',
  ]);
  t.same(localImports(file, text).filter(isServiceOrRepository), [
    'src/modules/x/x.service.ts',
    'src/modules/x/x.repository.ts',
  ]);
});

t.test("src/plugins imports no module's service or repository", async (t) => {
  const plugins = filesUnder(join(src, 'plugins'));
  t.ok(plugins.length >= 5, 'the plugins are there to scan');
  t.ok(plugins.flatMap((f) => localImports(f)).length > 0, 'and they import something');
  const upward = plugins.flatMap((f) =>
    localImports(f)
      .filter(isServiceOrRepository)
      .map((target) => `${posix(relative(root, f))} → ${target}`),
  );
  t.same(upward, [], 'no plugin reaches up into a module; pass what it needs in from app.ts');
});

t.test('only app.ts imports a routes file', async (t) => {
  const imports = filesUnder(src)
    .filter((f) => posix(relative(root, f)) !== 'src/app.ts')
    .flatMap((f) =>
      localImports(f)
        .filter((target) => /\.routes\.ts$/.test(target))
        .map((target) => `${posix(relative(root, f))} → ${target}`),
    );
  t.same(imports, [], 'what routes and API share lives in a neutral file of the module');
});

t.test('src/lib imports nothing from the plugins or the modules', async (t) => {
  const upward = filesUnder(join(src, 'lib')).flatMap((f) =>
    localImports(f)
      .filter((target) => !target.startsWith('src/lib/'))
      .map((target) => `${posix(relative(root, f))} → ${target}`),
  );
  t.same(upward, [], 'lib is the bottom layer');
});

t.test('no file in src is over 400 lines, the message catalogues aside (issue 17)', async (t) => {
  const catalogues = ['src/i18n/da.ts', 'src/i18n/en.ts'];
  const files = filesUnder(src).filter((f) => !catalogues.includes(posix(relative(root, f))));
  t.ok(files.length > 50, 'the sources are there to measure');
  const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const long = files
    .map((f) => ({ file: posix(relative(root, f)), lines: lineCount(readFileSync(f, 'utf8')) }))
    .filter(({ lines }) => lines > 400)
    .map(({ file, lines }) => `${file}: ${lines}`);
  t.same(long, [], 'split a long file along a seam: a presenter, a group of routes, a part of the service');
});

t.test(
  'the ranges of an id, a municipality code and a region code are each written in one place (issue 17)',
  async (t) => {
    // A row's id is a PostgreSQL integer; a municipality's code is three digits from 101. Both are
    // read from every body, path and query: a copy that drifts would let one route take what another
    // refuses (or send an id too large to the database).
    const rules = [
      { name: 'the largest id', pattern: /2_?147_?483_?647/, home: 'src/lib/ids.ts' },
      {
        name: 'the municipality codes',
        pattern: /\.min\(\s*101\s*\)[\s\S]{0,40}?\.max\(\s*999\s*\)/,
        home: 'src/modules/municipalities/municipalities.schemas.ts',
      },
      {
        name: 'the region codes',
        pattern: /\.min\(\s*1081\s*\)[\s\S]{0,40}?\.max\(\s*1085\s*\)/,
        home: 'src/modules/municipalities/municipalities.schemas.ts',
      },
    ];
    const sources = filesUnder(src).map((f) => ({ file: posix(relative(root, f)), text: readFileSync(f, 'utf8') }));
    for (const { name, pattern, home } of rules) {
      const where = sources.filter(({ text }) => pattern.test(text)).map(({ file }) => file);
      t.same(where, [home], `${name}: written in ${home} only`);
    }
    // An id or a version read without the shared schema is most often read without its upper bound:
    // a field named so, a number with a lower bound (an input; what the API answers has none), and no
    // maximum, on one line or over several, alone or as the items of an array or a record.
    const idField =
      /\b(?:\w*Ids?|id|versions?|user)\??:\s*(?:z\.array\(|z\.record\(z\.string\(\),\s*)?z(?:\.coerce)?\s*\.number\(\)\s*\.int\(\)((?:\s*\.\w+\((?:[^()]|\([^()]*\))*\))*)/g;
    const unbounded = sources.flatMap(({ file, text }) =>
      [...text.matchAll(idField)]
        .filter((m) => /\.(?:positive|min|gte|gt)\(/.test(m[1] ?? '') && !/\.(?:max|lte|lt)\(/.test(m[1] ?? ''))
        .map((m) => `${file}: ${m[0].replace(/\s+/g, ' ')}`),
    );
    t.same(unbounded, [], 'an id or a version in a body, path, query or form has its upper bound (src/lib/ids.ts)');
  },
);
