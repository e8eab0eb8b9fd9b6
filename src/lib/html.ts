/**
 * HTML escaping, for every template (pages and mail) and for the SVG the reports draw: the five
 * characters that can end a text or an attribute value.
 *
 * The HTML we write also holds no character beyond Latin-1 (U+00FF): each such character (a dash,
 * an arrow, a name in another script) is written as a numeric character reference, which a browser
 * reads as the same character, in text and in attribute values alike. V8 keeps a string whose
 * characters all fit in Latin-1 at one byte a character; one character beyond makes the whole page
 * two bytes a character, and joining a template's thousands of pieces into such a page cost eight
 * times as much (506 µs against 63 µs for 74,000 characters, on this machine; issue 17). Danish
 * letters (æ, ø, å) are Latin-1 and are written as they are.
 */
const SPECIAL = /[&<>"'\u0100-\uffff]/;
const BEYOND_LATIN1 = /[\u0100-\uffff]/;
/** With `u`, a character beyond U+FFFF (its two UTF-16 halves) is matched as one and given one reference. */
const BEYOND_LATIN1_ALL = /[\u0100-\u{10ffff}]/gu;
const referenceOf = (c: string) => `&#${c.codePointAt(0)};`;
/**
 * Text whose characters are all Latin-1, as a string V8 keeps at one byte a character. What is made
 * from a string held at two bytes (one that had a character beyond Latin-1), by `replace` or from its
 * slices, is held at two bytes too, even when every character left is Latin-1, and one such piece
 * makes the page two-byte.
 */
const oneByte = (latin1: string) => Buffer.from(latin1, 'latin1').toString('latin1');
const NOT_ASCII = /[\u0080-\uffff]/;

/**
 * The text as it is, held at one byte a character when it has letters beyond ASCII that are all
 * Latin-1 (æ, ø, å): for text from a decoder that answers two bytes a character (src/lib/querystring.ts).
 */
export function atOneByte(text: string): string {
  return NOT_ASCII.test(text) && !BEYOND_LATIN1.test(text) ? oneByte(text) : text;
}

/**
 * Text already written as HTML: escapeHtml (a template's `<%= %>`) gives it as it is. Made only here
 * (the class is not exported): by `htmlJoin`, which escapes every text it is given, and by
 * `numberCells`, which writes numbers only; so nothing reaches a page unescaped through it.
 * For what a page repeats on many rows with one long part in common (a report's links, whose query
 * holds `&` on each of some 180 rows): that part is escaped once, not on every row (259 ns a link).
 */
class Html {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}

export type { Html };

/**
 * HTML of pieces: each piece is text (escaped here) or Html already written (kept as it is), or a
 * number. `htmlJoin(path, id, after)` with `path` and `after` made once for a page.
 */
export function htmlJoin(...pieces: (string | number | Html)[]): Html {
  let html = '';
  for (const piece of pieces) html += escapeHtml(piece);
  return new Html(html);
}

/**
 * A row of table cells holding numbers, as HTML in one flat string (`<td>3</td><td>0</td>`), the cell
 * at `at` holding `other` instead. A template writing a cell at a time adds three pieces to its page
 * for each: a region's matrix of 29 municipalities, 841 cells, made 80 kB of them a request.
 */
export function numberCells(values: readonly number[], at?: number, other?: Html): Html {
  const cells: string[] = new Array(values.length);
  for (let j = 0; j < values.length; j++) cells[j] = j === at && other ? `<td>${other.html}</td>` : cellOf(values[j]);
  return new Html(cells.join(''));
}

/** The cells of the counts below a thousand, each written once for the process: a matrix's are most often small. */
const smallCells: string[] = [];
function cellOf(value: unknown): string {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n < 1000) {
    let cell = smallCells[n];
    if (cell === undefined) {
      cell = `<td>${n}</td>`;
      smallCells[n] = cell;
    }
    return cell;
  }
  return `<td>${n}</td>`;
}

/**
 * The value as text, escaped. Most values hold nothing to escape and are returned as they are, with
 * nothing allocated: eta's own escape wrote its pattern as a literal in the function, so each of a
 * page's thousand or more calls made a new RegExp (56 kB a grant list, issue 17); numbers need no test.
 * The rest is escaped in one pass over its characters: on text that needs it, about half the time of
 * `replace` with a function for each match. All 3,290 values of a national report page, most needing
 * nothing, took 0.326 ms instead of 0.365 ms.
 */
export function escapeHtml(value: unknown): string {
  if (typeof value !== 'string') {
    if (typeof value === 'number') return String(value);
    if (value instanceof Html) return value.html;
  }
  const text = typeof value === 'string' ? value : String(value);
  if (!SPECIAL.test(text)) return text;
  let out = '';
  let from = 0;
  let beyond = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let entity: string;
    if (code === 38) entity = '&amp;';
    else if (code === 60) entity = '&lt;';
    else if (code === 62) entity = '&gt;';
    else if (code === 34) entity = '&quot;';
    else if (code === 39) entity = '&#39;';
    else if (code > 0xff) {
      beyond = true;
      // A character beyond U+FFFF is one reference for its two halves; a lone half is one of its own.
      const point = text.codePointAt(i) as number;
      entity = `&#${point};`;
      out += text.slice(from, i) + entity;
      if (point > 0xffff) i++;
      from = i + 1;
      continue;
    } else continue;
    out += text.slice(from, i) + entity;
    from = i + 1;
  }
  out += text.slice(from);
  return beyond ? oneByte(out) : out;
}

/** HTML as it is, but with each character beyond Latin-1 written as a numeric character reference. */
export function withinLatin1(html: string): string {
  return BEYOND_LATIN1.test(html) ? oneByte(html.replace(BEYOND_LATIN1_ALL, referenceOf)) : html;
}

/**
 * An eta plugin that gives a template's own text (what is written outside its tags) the same
 * treatment, once, when the template is compiled: what is written inside tags goes through
 * `escapeHtml`, or is raw HTML built from it.
 */
export const latin1Templates = {
  processAST: <Node>(nodes: Node[]): Node[] =>
    nodes.map((node) => (typeof node === 'string' ? (withinLatin1(node) as Node) : node)),
};
