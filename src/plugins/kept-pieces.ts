/**
 * Kept content in pieces: the rendered HTML in UTF-8, cut where a stand-in was (the form token, and
 * each part made anew for every request), so that serving it joins buffers instead of encoding
 * 40 KB of Danish text again.
 */

/** The pieces, and between each two the name of the stand-in cut out there ('' for the form token). */
export interface Pieces {
  parts: Buffer[];
  cuts: string[];
}

/**
 * The HTML in UTF-8 (one buffer of its own, not a slice of Node's shared pool), cut wherever one of
 * the stand-ins was. `standIns` maps each stand-in to its name.
 */
export function cutAt(html: string, standIns: ReadonlyMap<string, string>): Pieces {
  const whole = Buffer.allocUnsafeSlow(Buffer.byteLength(html));
  whole.write(html);
  const marks = [...standIns].map(([standIn, name]) => ({ bytes: Buffer.from(standIn), name }));
  const parts: Buffer[] = [];
  const cuts: string[] = [];
  let from = 0;
  for (;;) {
    let next: { at: number; bytes: Buffer; name: string } | undefined;
    for (const mark of marks) {
      const at = whole.indexOf(mark.bytes, from);
      if (at !== -1 && (next === undefined || at < next.at)) next = { at, ...mark };
    }
    if (!next) break;
    parts.push(whole.subarray(from, next.at));
    cuts.push(next.name);
    from = next.at + next.bytes.length;
  }
  parts.push(whole.subarray(from));
  return { parts, cuts };
}

/** The pieces joined again for one request, each cut filled with what its name is given. */
export function joinPieces({ parts, cuts }: Pieces, fill: Readonly<Record<string, Buffer>>): Buffer[] {
  const body: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) body.push(fill[cuts[i - 1] as string] ?? Buffer.alloc(0));
    body.push(part);
  });
  return body;
}
