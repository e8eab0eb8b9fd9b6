import iconv from 'iconv-lite';

/**
 * Windows-1252, as Danish Excel saves "CSV (semikolonsepareret)", decoded with the code page's own
 * table: € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ at 0x80–0x9F. Node's
 * TextDecoder('windows-1252') reads those bytes as Latin-1's control codes in many versions (on
 * Node 20, decode() does; decode(…, {stream: true}) does not). The five bytes the code page leaves
 * unassigned become U+FFFD, which the readers refuse as binary. One byte is one character, so a
 * file can be decoded a piece at a time with nothing carried between pieces.
 */
export const decodeWindows1252 = (bytes: Buffer): string => iconv.decode(bytes, 'windows-1252');
