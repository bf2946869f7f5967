/**
 * HMAC-SHA256 event signing, byte-compatible with the Python SDK (1.0+): the signature covers
 * `json.dumps(payload, sort_keys=True, separators=(",", ":"))` with Python's default
 * `ensure_ascii=True`, so a Python publisher and a Node subscriber (or the reverse) agree.
 * Wire format of a signed event: `{"payload": {...}, "sig": "<hex>"}`.
 *
 * A received signature is checked over the payload's wire text, canonicalised without going
 * through JS numbers (a Python `2.0` or an int above 2^53 would not survive JSON.parse).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function pyString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const ch = value[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // Python escapes all but printable ASCII: controls, DEL and non-ASCII (UTF-16 units, so
    // an astral character is a surrogate pair).
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * `repr(float)`: shortest round-trip digits (as in JS), fixed notation with at least one
 * decimal for exponents -4..15 (`2.0`, `-0.0`), otherwise `1e-05`, `1.5e+16`; overflow is
 * `Infinity`, as json.dumps writes it.
 */
function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = value.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = String(value);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/**
 * A JS number as Python's `json.dumps` writes it: integers as integers, other numbers as
 * `repr(float)`. JS cannot tell a Python `1.0` from `1`, so an integer-valued number below
 * 1e16 is taken as an int; `encodeEvent` writes numbers this way on the wire too, so a
 * Python verifier parses back what was signed.
 */
function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  return pyFloat(value);
}

/** A JSON number literal as Python re-emits what json.loads made of it (int or float). */
function pyNumberLiteral(literal: string): string {
  if (/^-?\d+$/.test(literal)) return BigInt(literal).toString(); // int: exact, "-0" → "0"
  return pyFloat(Number(literal));
}

/** Python sorts str keys by code point; JS `<` compares UTF-16 units (differs for astral chars). */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const right = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return left.length - right.length;
}

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` for JSON-safe values. */
export function canonicalJson(value: unknown): string {
  value = toJsonValue(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyNumber(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareCodePoints(a, b));
    return `{${entries.map(([k, v]) => `${pyString(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

/** What JSON.stringify would serialise instead of `value` (a Date's ISO string). */
function toJsonValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value) as unknown;
  }
  return value;
}

/**
 * Python's canonical form of a JSON text, from its tokens: number literals keep their source
 * text (re-emitted as Python would: ints verbatim, floats as repr), duplicate keys keep the
 * last value (as json.loads and JSON.parse do), keys sorted by code point. Throws a
 * SyntaxError on invalid JSON.
 */
export function canonicalJsonText(text: string): string {
  const reader = new CanonicalReader(text);
  const out = reader.value();
  reader.end();
  return out;
}

class CanonicalReader {
  #i = 0;
  readonly #s: string;

  constructor(text: string) {
    this.#s = text;
  }

  value(): string {
    this.#ws();
    const c = this.#s[this.#i];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return pyString(this.#string());
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
    for (const word of ['true', 'false', 'null']) {
      if (this.#s.startsWith(word, this.#i)) {
        this.#i += word.length;
        return word;
      }
    }
    throw this.#error();
  }

  end(): void {
    this.#ws();
    if (this.#i !== this.#s.length) throw this.#error();
  }

  /** The whole text as an object: its members, each value canonicalised. */
  topLevelMembers(): Map<string, string> {
    this.#ws();
    if (this.#s[this.#i] !== '{') throw this.#error();
    const members = this.#members();
    this.end();
    return members;
  }

  #object(): string {
    const members = this.#members();
    const keys = [...members.keys()].sort(compareCodePoints);
    return `{${keys.map((k) => `${pyString(k)}:${members.get(k) ?? 'null'}`).join(',')}}`;
  }

  #members(): Map<string, string> {
    this.#i += 1;
    const members = new Map<string, string>();
    this.#ws();
    if (this.#s[this.#i] === '}') {
      this.#i += 1;
      return members;
    }
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] !== '"') throw this.#error();
      const key = this.#string();
      this.#ws();
      if (this.#s[this.#i] !== ':') throw this.#error();
      this.#i += 1;
      members.delete(key); // last one wins
      members.set(key, this.value());
      this.#ws();
      const c = this.#s[this.#i++];
      if (c === '}') return members;
      if (c !== ',') throw this.#error();
    }
  }

  #array(): string {
    this.#i += 1;
    const items: string[] = [];
    this.#ws();
    if (this.#s[this.#i] === ']') {
      this.#i += 1;
      return '[]';
    }
    for (;;) {
      items.push(this.value());
      this.#ws();
      const c = this.#s[this.#i++];
      if (c === ']') break;
      if (c !== ',') throw this.#error();
    }
    return `[${items.join(',')}]`;
  }

  /** A string token, decoded (lone surrogates kept, as Python keeps them). */
  #string(): string {
    const s = this.#s;
    let i = this.#i + 1;
    let out = '';
    let start = i;
    for (;;) {
      const code = s.charCodeAt(i);
      if (Number.isNaN(code) || code < 0x20) throw this.#error();
      if (code === 0x22) break;
      if (code === 0x5c) {
        out += s.slice(start, i);
        const e = s[i + 1];
        if (e === 'u') {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#error();
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const simple = ESCAPES[e ?? ''];
          if (simple === undefined) throw this.#error();
          out += simple;
          i += 2;
        }
        start = i;
      } else i += 1;
    }
    out += s.slice(start, i);
    this.#i = i + 1;
    return out;
  }

  #number(): string {
    const match = NUMBER.exec(this.#s.slice(this.#i, this.#i + 4096));
    if (match === null) throw this.#error();
    this.#i += match[0].length;
    return pyNumberLiteral(match[0]);
  }

  #ws(): void {
    const s = this.#s;
    while (s[this.#i] === ' ' || s[this.#i] === '\t' || s[this.#i] === '\n' || s[this.#i] === '\r')
      this.#i += 1;
  }

  #error(): SyntaxError {
    return new SyntaxError(`invalid JSON at position ${this.#i}`);
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

export function signPayload(payload: Record<string, unknown>, key: string): string {
  return signCanonical(canonicalJson(payload), key);
}

function signCanonical(canonical: string, key: string): string {
  return createHmac('sha256', key).update(canonical, 'utf8').digest('hex');
}

function sigMatches(canonical: string, sig: string, key: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(sig)) return false;
  const expected = Buffer.from(signCanonical(canonical, key), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
}

export function verifySignature(
  payload: Record<string, unknown>,
  sig: string,
  key: string,
): boolean {
  let canonical: string;
  try {
    canonical = canonicalJson(payload);
  } catch {
    return false; // e.g. Infinity: nothing signed it
  }
  return sigMatches(canonical, sig, key);
}

export type DecodeResult =
  | { ok: true; payload: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'unsigned' | 'bad_signature' };

/**
 * Decode a wire message. With a key: signed events must verify; unsigned ones pass only with
 * `acceptUnsigned`. Without a key: signatures are not checked (the payload is unwrapped).
 */
export function decodeEvent(
  raw: string,
  options: { signingKey?: string; acceptUnsigned?: boolean },
): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'malformed' };
  }
  const obj = parsed as Record<string, unknown>;
  const signed =
    typeof obj.sig === 'string' && obj.payload !== null && typeof obj.payload === 'object';
  if (signed) {
    const payload = obj.payload as Record<string, unknown>;
    if (options.signingKey !== undefined) {
      let canonical: string | undefined;
      try {
        canonical = new CanonicalReader(raw).topLevelMembers().get('payload');
      } catch {
        return { ok: false, reason: 'malformed' }; // e.g. nesting too deep to walk
      }
      if (canonical === undefined || !sigMatches(canonical, obj.sig as string, options.signingKey))
        return { ok: false, reason: 'bad_signature' };
    }
    return { ok: true, payload };
  }
  if (options.signingKey !== undefined && !options.acceptUnsigned)
    return { ok: false, reason: 'unsigned' };
  return { ok: true, payload: obj };
}

/**
 * Encode an event for the wire: signed when a key is given. A signed payload writes numbers
 * as they were signed (`1e+16`, not `10000000000000000`), so a verifier that parses the wire
 * (Python's json.loads) gets back the same int or float.
 */
export function encodeEvent(payload: Record<string, unknown>, signingKey?: string): string {
  if (signingKey === undefined) return JSON.stringify(payload);
  const sig = signPayload(payload, signingKey);
  return `{"payload":${wireJson(payload)},"sig":${JSON.stringify(sig)}}`;
}

/** JSON.stringify, except numbers written as `canonicalJson` writes them. */
function wireJson(value: unknown): string {
  value = toJsonValue(value);
  if (typeof value === 'number') return pyNumber(value);
  if (Array.isArray(value)) {
    return `[${value.map((v) => (isOmitted(v) ? 'null' : wireJson(v))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => !isOmitted(v),
    );
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${wireJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
