import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { da } from '../../../src/i18n/da.ts';
import { en } from '../../../src/i18n/en.ts';
import { grantStatuses } from '../../../src/modules/grants/grants.schemas.ts';
import { root } from '../../template.ts';

/**
 * Every entity and action the code records in the audit trail has a label in both catalogues: the
 * audit trail (Revisionsspor) and the home page print `audit.entity.*` and `audit.actionName.*`,
 * and a missing label shows the raw key. The values are read from the source: the string literals
 * of each recordAudit call's `entity` and `action` (a ternary gives both of its literals), every
 * `action: '…'` property written anywhere in src (the object a helper passes on, as a login
 * failure), and for an action held in a variable, the literals assigned to that name and passed to
 * the file's own helpers in the file. An action no literal gives must be named below.
 */

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Actions a file records that no literal in it names. */
const computedActions: Record<string, string[]> = {
  // transition(): the action is the status the grant moves to (never back to applied).
  'src/modules/grants/grants.service.ts': grantStatuses.filter((s) => s !== 'applied'),
  // recordLoginFailure(): the failure its callers (sign-in, password and e-mail changes) pass.
  'src/modules/accounts/accounts.passwords.ts': ['login_failed', 'password_change_failed', 'email_change_failed'],
};

const literals = (s: string) => [...s.matchAll(/'([a-z][a-z0-9_]*)'/g)].map((m) => m[1] as string);
/** The values an expression can take: both branches of a ternary, not what its condition compares. */
const outcomes = (s: string) => literals(s.includes('?') ? s.slice(s.indexOf('?')) : s);

/** From `open` (an opening parenthesis) to its closing one. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

/** The string literals among a call's own arguments (not inside its objects or nested calls). */
function topLevelLiterals(args: string): string[] {
  let depth = 0;
  let flat = '';
  for (const ch of args.slice(1, -1)) {
    if ('({['.includes(ch)) depth++;
    else if (')}]'.includes(ch)) depth--;
    else if (depth === 0) flat += ch;
  }
  return literals(flat);
}

/** The expression of `name: …` or `name = …` in an object literal or call, up to its end. */
function propertyExpression(call: string, name: string): string | undefined {
  const m = call.match(new RegExp(`\\b${name}\\b\\s*(?::\\s*([^,}\\n]+))?\\s*[,}\\n]`));
  if (!m) return undefined;
  return m[1] ?? name;
}

function recorded() {
  const entities = new Map<string, string>();
  const actions = new Map<string, string>();
  const unresolved: string[] = [];
  const sources = files(join(root, 'src')).map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/\baction\s*:\s*'([a-z][a-z0-9_]*)'/g)) actions.set(m[1] as string, file);
    for (const m of text.matchAll(/\brecordAudit\(/g)) {
      if (/function\s+$/.test(text.slice(0, m.index))) continue;
      const call = balanced(text, (m.index as number) + 'recordAudit'.length);
      const entity = propertyExpression(call, 'entity');
      const action = propertyExpression(call, 'action');
      const entityLiterals = entity ? outcomes(entity) : [];
      if (entityLiterals.length === 0) unresolved.push(`${file}: entity ${entity}`);
      for (const e of entityLiterals) entities.set(e, file);
      let found = action ? outcomes(action) : [];
      if (action && found.length === 0) {
        // A name: the literals assigned to it in the file, and those passed to the file's helpers
        // that take it as a parameter.
        const name = action.trim().split('.').pop() as string;
        for (const a of text.matchAll(new RegExp(`\\b${name}\\b(?:\\s*:\\s*string)?\\s*=\\s*([^;\\n]+)`, 'g')))
          found.push(...outcomes(a[1] as string));
        const helpers = [
          ...text.matchAll(
            new RegExp(`(?:function\\s+(\\w+)|(\\w+)\\s*=\\s*(?:async\\s*)?)\\([^()]*\\b${name}\\b`, 'g'),
          ),
        ].map((h) => (h[1] ?? h[2]) as string);
        for (const helper of helpers)
          for (const c of text.matchAll(new RegExp(`\\b${helper}\\(`, 'g')))
            found.push(...topLevelLiterals(balanced(text, (c.index as number) + helper.length)));
        found.push(...(computedActions[file] ?? []));
        found = found.filter((f) => f !== name);
        if (found.length === 0) unresolved.push(`${file}: action ${action}`);
      }
      for (const a of found) actions.set(a, file);
    }
  }
  return { entities, actions, unresolved };
}

t.test('every entity and action recorded in the audit trail has a label in both catalogues', async (t) => {
  const { entities, actions, unresolved } = recorded();
  t.same(unresolved, [], 'every recorded entity and action is a literal or named in computedActions');
  // The scan finds what it must: the applications' own entries among them.
  for (const e of ['application', 'application_question', 'application_review', 'application_conflict', 'grant'])
    t.ok(entities.has(e), `entity ${e} is found`);
  for (const a of ['application_approved', 'declare', 'report_received', 'application_report_accepted', 'paid'])
    t.ok(actions.has(a), `action ${a} is found`);
  for (const [catalogue, keys] of [
    ['da', da],
    ['en', en],
  ] as const) {
    const missing = [
      ...[...entities].filter(([e]) => !(`audit.entity.${e}` in keys)).map(([e, f]) => `audit.entity.${e} (${f})`),
      ...[...actions]
        .filter(([a]) => !(`audit.actionName.${a}` in keys))
        .map(([a, f]) => `audit.actionName.${a} (${f})`),
    ];
    t.same(missing, [], `${catalogue}: no recorded entity or action lacks a label`);
  }
});
