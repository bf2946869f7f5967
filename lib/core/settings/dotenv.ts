import fs from 'node:fs';
import path from 'node:path';

/**
 * The nearest `.env` at or above `startDir` (a file path starts from its folder), or
 * undefined. Python's `find_dotenv` started inside the installed package and threw when none
 * was found; here a missing `.env` is normal (containers use real env variables).
 */
export function findDotenv(startDir: string = process.cwd()): string | undefined {
  let dir = path.resolve(startDir);
  try {
    if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    dir = path.dirname(dir);
  }
  for (;;) {
    const candidate = path.join(dir, '.env');
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Variables `${NAME}` may refer to when they are not defined earlier in the file. */
export type DotenvEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Parse `.env` text the way python-dotenv's `dotenv_values` (what pydantic-settings uses)
 * reads a file, so a `.env` shared by Node and Python services means the same to both:
 *
 * - `KEY=value`, optional `export ` prefix, `'quoted key'`, spaces around `=`;
 * - unquoted values end at the line end; `#` starts a comment only after whitespace
 *   (`P=a#b` keeps `a#b`), trailing whitespace is dropped;
 * - `'single'` and `"double"` quoted values may span lines; single quotes decode only `\\`
 *   and `\'`, double quotes also `\"` `\a` `\b` `\f` `\n` `\r` `\t` `\v` (others stay as written);
 * - `${NAME}` and `${NAME:-default}` are replaced (in every value, quoted or not) from the
 *   earlier lines of the file first, then from `environment`; the default applies only
 *   when NAME is not defined at all;
 * - `KEY` alone gives `null`; a line that cannot be parsed is skipped (python-dotenv logs a
 *   warning), as is everything it swallowed;
 * - newlines are read as Python's text mode does (`\r\n` and `\r` become `\n`).
 *
 * Returns the bindings in file order; a repeated key keeps its first position and last value.
 */
export function parseDotenv(
  text: string,
  environment: DotenvEnvironment = {},
): Map<string, string | null> {
  const result = new Map<string, string | null>();
  for (const [key, raw] of scanBindings(text.replace(/\r\n?/g, '\n'))) {
    result.set(key, raw === null ? null : interpolate(raw, result, environment));
  }
  return result;
}

/**
 * Read one `.env` file (UTF-8; a byte-order mark is kept, as Python's utf-8 codec does) into
 * a plain object. Bare `KEY` lines are left out: pydantic-settings treats them as unset.
 */
export function readDotenv(
  file: string,
  environment: DotenvEnvironment = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of parseDotenv(fs.readFileSync(file, 'utf8'), environment)) {
    // defineProperty: a `__proto__` line is a variable like any other, not a prototype.
    if (value !== null)
      Object.defineProperty(values, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return values;
}

// Python's `str.isspace()` set, which its `\s` follows (JS `\s` differs: no \x1c-\x1f or \x85,
// but \ufeff).
const WS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const INLINE_WS = WS.replace('\\n', '').replace('\\r', '');
const SPACE = new RegExp(`^[${WS}]$`);
const INLINE_SPACE = new RegExp(`^[${INLINE_WS}]$`);
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
const isInlineSpace = (c: string | undefined): boolean => c !== undefined && INLINE_SPACE.test(c);
const isLineEnd = (c: string | undefined): boolean => c === '\n' || c === '\r';
const UNQUOTED_COMMENT = new RegExp(`[${WS}]+#.*`, 's');
const TRAILING_WS = new RegExp(`[${WS}]+$`);

class Unparsable extends Error {}

/** Raw (not yet interpolated) `[key, value]` pairs; comment-only and broken lines yield nothing. */
function* scanBindings(s: string): Generator<[string, string | null]> {
  let i = 0;
  const skipInline = (): void => {
    while (isInlineSpace(s[i])) i++;
  };
  while (i < s.length) {
    while (isSpace(s[i])) i++;
    if (i >= s.length) return;
    try {
      if (s.startsWith('export', i) && isInlineSpace(s[i + 6])) {
        i += 6;
        skipInline();
      }
      let key: string | null;
      if (s[i] === '#') {
        key = null;
      } else if (s[i] === "'") {
        const close = s.indexOf("'", i + 1);
        if (close <= i + 1) throw new Unparsable();
        key = s.slice(i + 1, close);
        i = close + 1;
      } else {
        const start = i;
        while (i < s.length && s[i] !== '=' && s[i] !== '#' && !isSpace(s[i])) i++;
        if (i === start) throw new Unparsable();
        key = s.slice(start, i);
      }
      skipInline();
      let value: string | null = null;
      if (s[i] === '=') {
        i++;
        skipInline();
        const c = s[i];
        if (c === "'" || c === '"') {
          const [body, end] = quoted(s, i, c);
          i = end;
          value = decodeEscapes(body, c);
        } else if (c === undefined || isLineEnd(c)) {
          value = '';
        } else {
          let end = i;
          while (end < s.length && !isLineEnd(s[end])) end++;
          value = s.slice(i, end).replace(UNQUOTED_COMMENT, '').replace(TRAILING_WS, '');
          i = end;
        }
      }
      // Optional trailing comment, then the line must end.
      skipInline();
      if (s[i] === '#') while (i < s.length && !isLineEnd(s[i])) i++;
      if (i < s.length) {
        if (!isLineEnd(s[i])) throw new Unparsable();
        i += s.startsWith('\r\n', i) ? 2 : 1;
      }
      if (key !== null) yield [key, value];
    } catch (err) {
      if (!(err instanceof Unparsable)) throw err;
      // Skip the rest of the line where parsing stopped (python-dotenv's recovery).
      while (i < s.length && !isLineEnd(s[i])) i++;
      if (i < s.length) i++;
    }
  }
}

/**
 * A quoted value starting at `s[start]`: its raw body and the index after the closing quote.
 * `\<quote>` does not close it. When no plain closing quote follows, the last escaped quote
 * of the rest of the text closes it (what python-dotenv's backtracking regex matches).
 */
function quoted(s: string, start: number, q: string): [string, number] {
  let lastEscaped = -1;
  for (let j = start + 1; j < s.length; j++) {
    if (s[j] === '\\' && s[j + 1] === q) {
      lastEscaped = j;
      j++;
    } else if (s[j] === q) {
      return [s.slice(start + 1, j), j + 1];
    }
  }
  if (lastEscaped < 0) throw new Unparsable();
  return [s.slice(start + 1, lastEscaped + 1), lastEscaped + 2];
}

const DOUBLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function decodeEscapes(body: string, q: string): string {
  const pattern = q === '"' ? /\\([\\'"abfnrtv])/g : /\\([\\'])/g;
  return body.replace(pattern, (_m, c: string) => DOUBLE_ESCAPES[c] ?? c);
}

/** `${NAME}` / `${NAME:-default}`: earlier file values win over the environment. */
function interpolate(
  value: string,
  earlier: ReadonlyMap<string, string | null>,
  environment: DotenvEnvironment,
): string {
  return value.replace(/\$\{([^}:]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
    if (earlier.has(name)) return earlier.get(name) ?? '';
    // Own properties only: `${constructor}` must not reach Object.prototype.
    const fromEnv = Object.prototype.hasOwnProperty.call(environment, name)
      ? environment[name]
      : undefined;
    return fromEnv ?? fallback ?? '';
  });
}
