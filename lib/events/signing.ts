/**
 * HMAC-SHA256 event signing, byte-compatible with the Python SDK (1.0+): the signature covers
 * `json.dumps(payload, sort_keys=True, separators=(",", ":"))` with Python's default
 * `ensure_ascii=True`, so a Python publisher and a Node subscriber (or the reverse) agree.
 * Wire format of a signed event: `{"payload": {...}, "sig": "<hex>"}`.
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
    // Control characters and everything non-ASCII (UTF-16 units, so astral = surrogate pair).
    else if (code < 0x20 || code > 0x7e) {
      out += code === 0x7f ? ch : `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/**
 * A number as Python's `json.dumps` writes it: integers as integers, floats as `repr(float)`
 * (shortest round-trip digits, like JS, but exponent form below 1e-4 and from 1e16 up, with a
 * signed two-digit exponent: `1e-05`, `1.5e+16`). An integer-valued number is written as an
 * integer: JSON.parse cannot tell a Python `1.0` from `1`, so a Python float like `1.0` in a
 * payload does not verify (user events carry strings only).
 */
function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  const [mantissa, exp] = value.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
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

export function signPayload(payload: Record<string, unknown>, key: string): string {
  return createHmac('sha256', key).update(canonicalJson(payload), 'utf8').digest('hex');
}

export function verifySignature(
  payload: Record<string, unknown>,
  sig: string,
  key: string,
): boolean {
  if (!/^[0-9a-f]{64}$/i.test(sig)) return false;
  const expected = Buffer.from(signPayload(payload, key), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
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
    if (
      options.signingKey !== undefined &&
      !verifySignature(payload, obj.sig as string, options.signingKey)
    ) {
      return { ok: false, reason: 'bad_signature' };
    }
    return { ok: true, payload };
  }
  if (options.signingKey !== undefined && !options.acceptUnsigned)
    return { ok: false, reason: 'unsigned' };
  return { ok: true, payload: obj };
}

/** Encode an event for the wire: signed when a key is given. */
export function encodeEvent(payload: Record<string, unknown>, signingKey?: string): string {
  if (signingKey === undefined) return JSON.stringify(payload);
  return JSON.stringify({ payload, sig: signPayload(payload, signingKey) });
}
