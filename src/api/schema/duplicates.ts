// JSON.parse keeps the last of two equal keys without a word; upstream's
// strict decoder reports `duplicate field "metadata.name"`. This scanner walks
// the raw body once and names every repeated key by its path.

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

class Scanner {
  i = 0;
  readonly dups: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }

  private string(): string {
    const start = this.i;
    this.i++;
    let escaped = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i++];
      if (c === '\\') {
        this.i++;
        escaped = true;
      } else if (c === '"') break;
    }
    const raw = this.s.slice(start, this.i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  value(path: string): void {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string();
    else while (this.i < this.s.length && !',]}'.includes(this.s[this.i]) && !WS.has(this.s.charCodeAt(this.i))) this.i++;
  }

  private object(path: string): void {
    this.i++;
    const keys = new Set<string>();
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return;
      }
      if (this.s[this.i] !== '"') throw new SyntaxError('bad JSON');
      const key = this.string();
      const at = path ? `${path}.${key}` : key;
      if (keys.has(key)) {
        if (!this.seen.has(at)) this.dups.push(at);
        this.seen.add(at);
      }
      keys.add(key);
      this.ws();
      if (this.s[this.i++] !== ':') throw new SyntaxError('bad JSON');
      this.value(at);
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new SyntaxError('bad JSON');
    }
  }

  private array(path: string): void {
    this.i++;
    for (let n = 0; ; n++) {
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return;
      }
      if (this.i >= this.s.length) throw new SyntaxError('bad JSON');
      this.value(`${path}[${n}]`);
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') throw new SyntaxError('bad JSON');
    }
  }
}

/** Paths of keys that occur twice in one JSON object, each once, in document order. Malformed JSON yields what was found before the fault. */
export function findDuplicateKeys(json: string): string[] {
  const sc = new Scanner(json);
  try {
    sc.value('');
  } catch {
    // The caller's JSON.parse reports the syntax error.
  }
  return sc.dups;
}
