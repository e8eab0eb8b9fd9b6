import { Eta } from 'eta';
import t from 'tap';
import { withoutIndentation } from '../../src/plugins/views.ts';

const eta = new Eta({ autoEscape: true, autoTrim: [false, 'nl'], plugins: [{ processTemplate: withoutIndentation }] });
const plain = new Eta({ autoEscape: true, autoTrim: [false, 'nl'] });
/** What a browser makes of the whitespace: any run of it is one space. */
const collapsed = (html: string) => html.replace(/\s+/g, ' ');

t.test('templates lose their indentation and blank lines, not the spaces they stand for', async (t) => {
  t.equal(
    withoutIndentation('<ul>\n    <li>a</li>\n\n   \n  <li>b</li>  \n</ul>'),
    '<ul>\n<li>a</li>\n<li>b</li>\n</ul>',
  );
  const cases: [string, Record<string, unknown>][] = [
    ['<a>x</a>\n  <a>y</a>', {}],
    ['<td><%= it.due %>\n      <span class="badge">Forfalden</span></td>', { due: '1.3.2025' }],
    ['<li>\n  <% if (it.on) { %>\n    <b>on</b>\n  <% } %>\n</li>', { on: true }],
    ['<p><%= it.days %>\n<%= it.from %>–<%= it.to %></p>', { days: 'Mandag', from: '10:00', to: '12:00' }],
    ['<p><%= it.a %>   \n   <%= it.b %></p>', { a: 'A', b: 'B' }],
    ['<p>\n  <%= it.a %>\n</p>\n\n<p>b</p>', { a: 'A' }],
  ];
  for (const [template, data] of cases) {
    const before = plain.renderString(template, data);
    const after = eta.renderString(template, data);
    t.equal(collapsed(after), collapsed(before), `reads the same: ${JSON.stringify(template)}`);
    t.ok(after.length <= before.length);
  }
  t.equal(
    eta.renderString('<td><%= it.due %>\n      <span>Forfalden</span></td>', { due: '1.3.2025' }),
    '<td>1.3.2025 <span>Forfalden</span></td>',
    'a date and its badge keep their space',
  );
});

t.test('what a user wrote keeps its own line breaks and spaces', async (t) => {
  const html = eta.renderString('<div>\n    <textarea><%= it.text %></textarea>\n</div>', {
    text: 'første linje\n    indrykket linje',
  });
  t.equal(html, '<div>\n<textarea>første linje\n    indrykket linje</textarea>\n</div>');
});

t.test('every template in views/ reads the same without its indentation', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { viewsDir } = await import('../../src/plugins/views.ts');
  const files = (readdirSync(viewsDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.eta'));
  t.ok(files.length > 50, `${files.length} templates`);
  // eta's parse applies autoTrim: the text between tags is what a page shows (as eta escapes it for
  // the compiled function: a line break is \\n there), the tags what it runs.
  const read = (e: Eta, source: string) =>
    e
      .parse(source)
      .map((part) =>
        typeof part === 'string'
          ? collapsed(part.replace(/\\[nr]/g, ' '))
          : `${part.t}:${part.val.replace(/\s+/g, ' ').trim()}`,
      )
      .filter((part) => part !== '')
      .join('|');
  for (const file of files) {
    const source = readFileSync(join(viewsDir, file), 'utf8');
    t.equal(read(eta, withoutIndentation(source)), read(plain, source), file);
  }
});
