import { Eta } from 'eta';
import t from 'tap';
import { withoutIndentation } from '../../src/plugins/views.ts';

t.test('templates lose their indentation and blank lines, not their line breaks or the data', async (t) => {
  t.equal(
    withoutIndentation('<ul>\n    <li>a</li>\n\n   \n  <li>b</li>  \n</ul>'),
    '<ul>\n<li>a</li>\n<li>b</li>\n</ul>',
  );
  t.equal(withoutIndentation('<a>x</a>\n  <a>y</a>'), '<a>x</a>\n<a>y</a>', 'a line break still parts inline elements');
  const eta = new Eta({
    autoEscape: true,
    autoTrim: [false, 'nl'],
    plugins: [{ processTemplate: withoutIndentation }],
  });
  const html = eta.renderString('<div>\n    <textarea><%= it.text %></textarea>\n</div>', {
    text: 'første linje\n    indrykket linje',
  });
  t.equal(
    html,
    '<div>\n<textarea>første linje\n    indrykket linje</textarea>\n</div>',
    'what a user wrote keeps its spaces',
  );
});
