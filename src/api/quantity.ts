// resource.Quantity: fixed-point numbers with SI / binary suffixes, as
// Kubernetes parses and prints them. Values are held exactly as
// mantissa * 10^exponent (bigint mantissa) so that sums and comparisons never
// drift; binary suffixes multiply into the mantissa, which stays exact because
// every power of two has a finite decimal expansion.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${SPLIT_RE}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

export class QuantityParseError extends Error {}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Smallest representable step: upstream rounds anything finer up to 1n. */
const NANO = -9;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** Divide by 10^k rounding away from zero (inf.RoundUp). */
function divRoundUp(m: bigint, k: number): bigint {
  const d = pow10(k);
  const q = m / d;
  if (q * d === m) return q;
  return m < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /** value = mantissa * 10^exponent */
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;

  constructor(mantissa: bigint, exponent: number, format: QuantityFormat = 'DecimalSI') {
    this.mantissa = mantissa;
    this.exponent = exponent;
    this.format = format;
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, 0, format);
  }

  sign(): -1 | 0 | 1 {
    return this.mantissa === 0n ? 0 : this.mantissa < 0n ? -1 : 1;
  }

  isZero(): boolean {
    return this.mantissa === 0n;
  }

  /** Both mantissas brought to the smaller exponent. */
  private aligned(o: Quantity): [bigint, bigint, number] {
    const e = Math.min(this.exponent, o.exponent);
    return [this.mantissa * pow10(this.exponent - e), o.mantissa * pow10(o.exponent - e), e];
  }

  cmp(o: Quantity): -1 | 0 | 1 {
    const [a, b] = this.aligned(o);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(o: Quantity): boolean {
    return this.cmp(o) === 0;
  }

  /** As upstream Add: the receiver's format wins unless it is the zero value. */
  add(o: Quantity): Quantity {
    const [a, b, e] = this.aligned(o);
    const format = this.isZero() && this.exponent === 0 ? o.format : this.format;
    return new Quantity(a + b, e, format);
  }

  sub(o: Quantity): Quantity {
    return this.add(o.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.mantissa, this.exponent, this.format);
  }

  /** Value scaled by 10^-scale, rounded away from zero (ScaledValue). */
  scaledValue(scale: number): number {
    const shift = this.exponent - scale;
    const v = shift >= 0 ? this.mantissa * pow10(shift) : divRoundUp(this.mantissa, -shift);
    return Number(v);
  }

  /** Integer value rounded up, as Quantity.Value(). */
  value(): number {
    return this.scaledValue(0);
  }

  milliValue(): number {
    return this.scaledValue(-3);
  }

  /** Round up to the given decimal scale (e.g. -3 for milli), as Quantity.RoundUp. */
  roundUp(scale: number): Quantity {
    if (this.exponent >= scale) return this;
    return new Quantity(divRoundUp(this.mantissa, scale - this.exponent), scale, this.format);
  }

  /** Whether the value is a whole number. */
  isInteger(): boolean {
    if (this.exponent >= 0) return true;
    return this.mantissa % pow10(-this.exponent) === 0n;
  }

  toString(): string {
    return canonical(this);
  }

  toJSON(): string {
    return canonical(this);
  }
}

function stripZeros(m: bigint, e: number): [bigint, number] {
  if (m === 0n) return [0n, 0];
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  return [m, e];
}

function canonical(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = abs(q.mantissa) * pow10(Math.max(q.exponent, 0)) < 1024n * pow10(Math.max(-q.exponent, 0));
    if (small || !q.isInteger()) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let v = q.exponent >= 0 ? q.mantissa * pow10(q.exponent) : q.mantissa / pow10(-q.exponent);
    let k = 0;
    while (v % 1024n === 0n && k < BINARY_BY_EXP.length - 1) {
      v /= 1024n;
      k++;
    }
    return `${v}${BINARY_BY_EXP[k]}`;
  }
  let [m, e] = stripZeros(q.mantissa, q.exponent);
  const r = ((e % 3) + 3) % 3;
  if (r !== 0) {
    m *= pow10(r);
    e -= r;
  }
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  const suffix = DECIMAL_BY_EXP.get(e);
  return suffix === undefined ? `${m}e${e}` : `${m}${suffix}`;
}

interface Parts {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

// Mirrors upstream's hand-written scanner rather than the regexp, because the
// scanner is what decides which odd forms ("1.", ".5", "+1") are accepted.
function scan(str: string): Parts {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  const isDigit = (c: string) => c >= '0' && c <= '9';
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityParseError(ERR_FORMAT_WRONG);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(s: string): { base: 10 | 2; exp: number; format: QuantityFormat } {
  if (s in DECIMAL_SUFFIXES) return { base: 10, exp: DECIMAL_SUFFIXES[s], format: 'DecimalSI' };
  if (s in BINARY_SUFFIXES) return { base: 2, exp: BINARY_SUFFIXES[s], format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E') && /^[+-]?\d+$/.test(s.slice(1))) {
    return { base: 10, exp: Number.parseInt(s.slice(1), 10), format: 'DecimalExponent' };
  }
  throw new QuantityParseError(ERR_SUFFIX);
}

/** Parse like resource.ParseQuantity; throws QuantityParseError with upstream's message. */
export function parseQuantity(input: string | number): Quantity {
  // JSON numbers reach upstream as their literal text; String() of a JS number is the same text for sane values.
  const str = typeof input === 'number' ? String(input) : input.trim();
  if (str.length === 0) throw new QuantityParseError(ERR_FORMAT_WRONG);
  if (str === '0') return Quantity.zero();
  const p = scan(str);
  const { base, exp, format: parsedFormat } = interpretSuffix(p.suffix);
  let format = parsedFormat;
  let m = BigInt(p.num + p.denom);
  let e = -p.denom.length;
  if (base === 10) e += exp;
  else m *= 1n << BigInt(exp);
  if (!p.positive) m = -m;
  if (e < NANO) {
    m = divRoundUp(m, NANO - e);
    e = NANO;
  }
  const q = new Quantity(m, e, format);
  if (format === 'BinarySI' && q.sign() > 0 && q.cmp(new Quantity(1n, 0)) < 0) format = 'DecimalSI';
  return format === q.format ? q : new Quantity(m, e, format);
}

/** parseQuantity without throwing: the error message instead. */
export function tryParseQuantity(input: unknown): Quantity | string {
  if (typeof input !== 'string' && typeof input !== 'number') return ERR_FORMAT_WRONG;
  try {
    return parseQuantity(input);
  } catch (err) {
    if (err instanceof QuantityParseError) return err.message;
    throw err;
  }
}
