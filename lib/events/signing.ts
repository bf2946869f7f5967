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

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` for JSON-safe values. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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
