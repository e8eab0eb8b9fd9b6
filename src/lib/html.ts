/**
 * HTML escaping, for every template (pages and mail) and for the SVG the reports draw: the five
 * characters that can end a text or an attribute value.
 */
const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;
const ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const entityOf = (c: string) => ENTITY[c] as string;

/**
 * The value as text, escaped. Most values hold nothing to escape and are returned as they are, with
 * nothing allocated: eta's own escape wrote its pattern as a literal in the function, so each of a
 * page's thousand or more calls made a new RegExp (56 kB a grant list, issue 17); numbers need no test.
 */
export function escapeHtml(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, entityOf) : text;
}
