// JSON.parse keeps the last of two equal keys without a word; upstream's
// strict decoder reports `duplicate field "metadata.name"`. This scanner walks
// the raw body once and names every repeated key by its path. Every write's
// body passes through it, so it works on character codes, skips strings with
// indexOf and spells a path out only for a key that is repeated.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Keys of one object; an array while small (most objects), a Set beyond. */
const SMALL_OBJECT = 16;

class Scanner {
  i = 0;
  readonly dups: string[] = [];
  private readonly seen = new Set<string>();
  /** Where the scan is: object keys, and indexes (numbers) of array items. */
  private readonly path: (string | number)[] = [];
  private nextBackslash = -1;
  constructor(private readonly s: string) {}

  private ws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    this.i = i;
  }

  /** Moves past the string starting at i; returns the index of its closing quote (the length when unterminated) and whether it has escapes. */
  private skipString(): { close: number; escaped: boolean } {
    const s = this.s;
    const open = this.i;
    let from = open + 1;
    let close: number;
    for (;;) {
      close = s.indexOf('"', from);
      if (close < 0) {
        close = s.length;
        break;
      }
      let k = close - 1;
      while (k > open && s.charCodeAt(k) === BACKSLASH) k--;
      // An odd run of backslashes escapes this quote.
      if ((close - 1 - k) % 2 === 0) break;
      from = close + 1;
    }
    this.i = close + 1;
    return { close, escaped: this.backslashFrom(open + 1) < close };
  }

  /** The first backslash at or after pos (the length when none): searched again only once the scan has passed it, so the whole scan reads the text once. */
  private backslashFrom(pos: number): number {
    if (this.nextBackslash < pos) {
      const b = this.s.indexOf('\\', pos);
      this.nextBackslash = b < 0 ? this.s.length : b;
    }
    return this.nextBackslash;
  }

  private key(): string {
    const open = this.i;
    const { close, escaped } = this.skipString();
    if (close >= this.s.length) {
      const raw = this.s.slice(open);
      return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    }
    return escaped ? (JSON.parse(this.s.slice(open, close + 1)) as string) : this.s.slice(open + 1, close);
  }

  private pathText(): string {
    let out = '';
    for (const seg of this.path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
    return out;
  }

  value(): void {
    this.ws();
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === OPEN_BRACE) this.object();
    else if (c === OPEN_BRACKET) this.array();
    else if (c === QUOTE) this.skipString();
    else {
      let i = this.i;
      for (; i < s.length; i++) {
        const d = s.charCodeAt(i);
        if (d === COMMA || d === CLOSE_BRACKET || d === CLOSE_BRACE || isWs(d)) break;
      }
      this.i = i;
    }
  }

  private object(): void {
    const s = this.s;
    this.i++;
    let small: string[] | undefined;
    let large: Set<string> | undefined;
    for (;;) {
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === CLOSE_BRACE) {
        this.i++;
        return;
      }
      if (c !== QUOTE) throw new SyntaxError('bad JSON');
      const key = this.key();
      this.path.push(key);
      let repeated: boolean;
      if (large) {
        repeated = large.has(key);
        large.add(key);
      } else {
        small ??= [];
        repeated = small.includes(key);
        if (!repeated) small.push(key);
        if (small.length > SMALL_OBJECT) large = new Set(small);
      }
      if (repeated) {
        const at = this.pathText();
        if (!this.seen.has(at)) this.dups.push(at);
        this.seen.add(at);
      }
      this.ws();
      if (s.charCodeAt(this.i++) !== COLON) throw new SyntaxError('bad JSON');
      this.value();
      this.path.pop();
      this.ws();
      const d = s.charCodeAt(this.i);
      if (d === COMMA) this.i++;
      else if (d !== CLOSE_BRACE) throw new SyntaxError('bad JSON');
    }
  }

  private array(): void {
    const s = this.s;
    this.i++;
    this.path.push(0);
    const at = this.path.length - 1;
    for (let n = 0; ; n++) {
      this.ws();
      if (s.charCodeAt(this.i) === CLOSE_BRACKET) {
        this.i++;
        this.path.pop();
        return;
      }
      if (this.i >= s.length) throw new SyntaxError('bad JSON');
      this.path[at] = n;
      this.value();
      this.ws();
      const d = s.charCodeAt(this.i);
      if (d === COMMA) this.i++;
      else if (d !== CLOSE_BRACKET) throw new SyntaxError('bad JSON');
    }
  }
}

/** Paths of keys that occur twice in one JSON object, each once, in document order. Malformed JSON yields what was found before the fault. */
export function findDuplicateKeys(json: string): string[] {
  const sc = new Scanner(json);
  try {
    sc.value();
  } catch {
    // The caller's JSON.parse reports the syntax error.
  }
  return sc.dups;
}
