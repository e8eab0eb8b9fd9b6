/**
 * Sets and maps of 32-bit integers in typed arrays, open addressing with linear probing: a million
 * members take 8 MB (a map 16 MB), where a Map or Set of numbers takes several times that, in the
 * heap the web requests share (an import's check keeps a hash of every row of a file, and the
 * registered grant each row matched).
 */

/** Spreads the bits (the members may be hashes that differ only high up). */
const start = (n: number, mask: number) => (Math.imul(n ^ (n >>> 16), 0x45d9f3b) >>> 0) & mask;

/** The slot of n in keys: where it is, or the free slot (0) where it would go. */
function slotOf(keys: Int32Array, n: number): number {
  const mask = keys.length - 1;
  for (let i = start(n, mask); ; i = (i + 1) & mask) {
    const k = keys[i] as number;
    if (k === n || k === 0) return i;
  }
}

/** The members of keys in a table of the given length. */
function rehashed(keys: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(length);
  for (const k of keys) if (k !== 0) next[slotOf(next, k)] = k;
  return next;
}

/** int32 → int32. 0 marks a free slot, so the key 0 is kept aside. */
export class IntMap {
  private keys = new Int32Array(1024);
  private values = new Int32Array(1024);
  private count = 0;
  private zero: number | undefined;

  get size(): number {
    return this.count + (this.zero === undefined ? 0 : 1);
  }

  get(key: number): number | undefined {
    const k = key | 0;
    if (k === 0) return this.zero;
    const i = slotOf(this.keys, k);
    return this.keys[i] === k ? this.values[i] : undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  set(key: number, value: number): this {
    const k = key | 0;
    if (k === 0) {
      this.zero = value | 0;
      return this;
    }
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const i = slotOf(this.keys, k);
    if (this.keys[i] === 0) this.count++;
    this.keys[i] = k;
    this.values[i] = value;
    return this;
  }

  private grow(): void {
    const keys = rehashed(this.keys, this.keys.length * 2);
    const values = new Int32Array(keys.length);
    this.keys.forEach((k, j) => {
      if (k !== 0) values[slotOf(keys, k)] = this.values[j] as number;
    });
    this.keys = keys;
    this.values = values;
  }
}

/** A set of int32 numbers: the keys of an IntMap without its values (a million members: 8 MB). */
export class IntSet {
  private keys = new Int32Array(1024);
  private count = 0;
  private zero = false;

  get size(): number {
    return this.count + (this.zero ? 1 : 0);
  }

  has(n: number): boolean {
    const k = n | 0;
    if (k === 0) return this.zero;
    return this.keys[slotOf(this.keys, k)] === k;
  }

  /** Adds n; false when it was a member already. */
  add(n: number): boolean {
    const k = n | 0;
    if (k === 0) {
      const added = !this.zero;
      this.zero = true;
      return added;
    }
    if ((this.count + 1) * 2 > this.keys.length) this.keys = rehashed(this.keys, this.keys.length * 2);
    const i = slotOf(this.keys, k);
    if (this.keys[i] === k) return false;
    this.keys[i] = k;
    this.count++;
    return true;
  }
}
