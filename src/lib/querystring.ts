/**
 * Query strings and form bodies, read by qs (duplicated and nested names, as forms send them), with
 * each name and value held at one byte a character where every character is Latin-1.
 * `decodeURIComponent` answers a string held at two bytes for any text that had a non-ASCII byte
 * ("lektiehjælp"), and a searched word shown again in the filter made the whole page two-byte: one
 * grant list searched for a Danish word cost eight times as much to join (src/lib/html.ts).
 */
import qs from 'qs';
import { atOneByte } from './html.ts';

const decoder: qs.IParseOptions['decoder'] = (text, decode, charset) => atOneByte(decode(text, decode, charset));

/** A query string: two levels of nesting, 100 items to a list, 500 names. */
export const parseQuery = (text: string) => qs.parse(text, { depth: 2, arrayLimit: 100, parameterLimit: 500, decoder });

/** A form body: three levels of nesting, 100 items to a list, 2,000 names. */
export const parseForm = (text: string) => qs.parse(text, { depth: 3, arrayLimit: 100, parameterLimit: 2000, decoder });
