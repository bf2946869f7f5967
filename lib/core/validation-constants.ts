/**
 * The Python `ValidationConstants` regexes. Python's `re.match` anchors at the start only and
 * its `$` also matches before a trailing newline; these JS versions are anchored at both ends
 * and use `\z`-like `$` (no trailing newline accepted): stricter, on purpose. Character
 * classes are ASCII here (Python's `\d`/`\W` are Unicode-aware).
 */
import { SECRET_KEY_REGEX } from './secret-rule';

/** 0.6.10 secret keys: the one secret rule of `./secret-rule`. */
export { SECRET_KEY_REGEX };
export const HOST_REGEX =
  /^(localhost|((\d{1,3}\.){3}\d{1,3}(:\d{1,5})?)|([A-Za-z0-9-]+\.[A-Za-z0-9-.]+)|([A-Za-z0-9-_]+))$/;
export const HTTP_HOST_REGEX =
  /^https?:\/\/(?:localhost|(?:\d{1,3}\.){3}\d{1,3}|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?::\d{1,5})?$/;
export const URL_PATH_STR_REGEX = /^\/?[A-Za-z0-9\-._~/]*$/;
export const KEY_REGEX = /^[A-Za-z0-9_-]+$/;
export const SLUG_REGEX = /^[a-z0-9-]+$/;
export const UNIX_PATH_REGEX = /^\/[A-Za-z0-9_\-/]+$/;
export const FILE_PATH_REGEX = /^(?:\/|(?:[A-Z]:))[A-Za-z0-9_\-/\\:]+$/;
export const PASSWORD_REGEX = /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[\W_])(?!.*\s).{8,}$/;
export const MYSQL_NAME_REGEX = /^[A-Za-z0-9_]+$/;
export const CONTROL_CHAR_PATTERN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B-\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\uFEFF]/;

export const ValidationConstants = Object.freeze({
  HOST_REGEX,
  HTTP_HOST_REGEX,
  URL_PATH_STR_REGEX,
  KEY_REGEX,
  SLUG_REGEX,
  UNIX_PATH_REGEX,
  FILE_PATH_REGEX,
  PASSWORD_REGEX,
  SECRET_KEY_REGEX,
  MYSQL_NAME_REGEX,
  CONTROL_CHAR_PATTERN,
});

/** Remove control and zero-width characters; tabs and newlines are kept. */
export function removeInvisibleChars(text: string): string {
  return text.replace(new RegExp(CONTROL_CHAR_PATTERN.source, 'g'), '');
}
