import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/demo.ts';
import { buildTestApp } from '../helper.ts';
import { root } from '../template.ts';

const read = (file: string) => readFileSync(join(root, file), 'utf8');

t.test('docs/api.md names every operation of the OpenAPI document, and no other', async (t) => {
  const { app } = await buildTestApp(t, { users: false });
  await app.ready();
  const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
  );
  const listed = [...read('docs/api.md').matchAll(/^\| `((?:GET|POST|PUT|PATCH|DELETE) \/api\/[^`]+)` \|/gm)].map(
    (m) => m[1] ?? '',
  );
  t.ok(documented.length > 30);
  t.same(
    documented.filter((op) => !listed.includes(op)),
    [],
    'every operation is listed in docs/api.md (add a row for a new one)',
  );
  t.same(
    listed.filter((op) => !documented.includes(op)),
    [],
    'every operation listed exists',
  );
});

t.test('the README is short and its links lead to files in the repository', async (t) => {
  const readme = read('README.md');
  t.ok(readme.split('\n').length <= 120, `the README has ${readme.split('\n').length} lines, at most 120`);
  const links = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '');
  t.ok(links.length >= 5);
  for (const link of links.filter((l) => !/^https?:/.test(l))) {
    t.ok(!link.startsWith('..'), `${link} is inside the repository`);
    t.ok(existsSync(join(root, link)), `${link} exists`);
  }
  const start = readme.indexOf('npm start');
  t.ok(start > 0 && start < readme.indexOf('## Configuration'), 'the commands come before the configuration');
  t.match(readme, /npm run demo/);
  t.ok(readme.includes(DEMO_PASSWORD), 'the demo password is the one the demo sets');
  for (const u of DEMO_USERS) t.ok(readme.includes(`\`${u.email}\``), `the demo login ${u.email} is listed`);
});

t.test('the links in docs/ lead to files that exist', async (t) => {
  const files = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
  t.ok(files.length >= 5);
  for (const file of files) {
    const text = read(`docs/${file}`);
    for (const [, link] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (!link || /^https?:/.test(link)) continue;
      t.ok(existsSync(join(root, 'docs', dirname(file), link)), `docs/${file}: ${link} exists`);
    }
  }
});
