/**
 * The Python settings model's validators, in their order: the algorithms, the key material
 * (read from files, present and strong enough), the secrets and passwords, the CORS origins.
 * Each appends its problems; `loadSettings` reports them all at once.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { isStrongSecret, SECRET_KEY_RULE } from '../secret-rule';
import { PASSWORD_REGEX } from '../validation-constants';
import { keyStrengthProblem } from './key-strength';
import { allowedOrigins } from './origins';
import { PASSWORD_FIELDS, SECRET_KEY_FIELDS } from './schema';

/** The Python model validators, in their order. */
export function applyModelRules(
  s: Record<string, unknown>,
  raw: Readonly<Record<string, string>>,
  problems: string[],
): void {
  applyAlgorithmRules(s, problems);
  applyKeyRules(s, raw, problems);
  applySecretRules(s, problems);
  // CORS: read from the input whatever the schema, so the health check's origin rules see
  // ALLOWED_ORIGINS for a token-only service too.
  const cors = raw.BACKEND_CORS_ORIGINS;
  if (cors !== undefined) {
    const frontend = typeof s.FRONTEND_HOST === 'string' ? s.FRONTEND_HOST : raw.FRONTEND_HOST;
    s.ALLOWED_ORIGINS = Object.freeze(allowedOrigins(cors, frontend, problems));
  }
}

/** 1. Deprecated TOKEN_ALGORITHM fills both algorithms; refresh tokens stay HS256. */
function applyAlgorithmRules(s: Record<string, unknown>, problems: string[]): void {
  if (s.TOKEN_ALGORITHM !== 'HS256') {
    if (s.ACCESS_TOKEN_ALGORITHM === 'HS256') s.ACCESS_TOKEN_ALGORITHM = s.TOKEN_ALGORITHM;
    if (s.REFRESH_TOKEN_ALGORITHM === 'HS256') s.REFRESH_TOKEN_ALGORITHM = s.TOKEN_ALGORITHM;
  }
  if (s.REFRESH_TOKEN_ALGORITHM !== 'HS256') {
    problems.push(
      'REFRESH_TOKEN_ALGORITHM must be HS256. Refresh tokens are internal and must use symmetric signing.',
    );
  }
}

/** 2–4. PEM key material only from files, present and strong enough for the algorithm. */
function applyKeyRules(
  s: Record<string, unknown>,
  raw: Readonly<Record<string, string>>,
  problems: string[],
): void {
  const algorithm = s.ACCESS_TOKEN_ALGORITHM as string;
  const privatePem = readPem(s.ACCESS_PRIVATE_KEY_FILE, 'ACCESS_PRIVATE_KEY_FILE', problems);
  let publicPem = readPem(s.ACCESS_PUBLIC_KEY_FILE, 'ACCESS_PUBLIC_KEY_FILE', problems);
  const misplacedPrivate = refuseMisplacedPrivateKeys(publicPem, raw, problems);
  if (misplacedPrivate) publicPem = undefined;
  if (algorithm === 'HS256') {
    if (s.ACCESS_SECRET_KEY === undefined) {
      problems.push('ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256');
    }
  } else {
    if (privatePem !== undefined) {
      const problem = keyStrengthProblem(privatePem, algorithm as 'RS256', true);
      if (problem !== undefined) problems.push(`ACCESS_PRIVATE_KEY_FILE: ${problem}`);
      // Derive the public half when only the private key is given (Python needed both files).
      else if (publicPem === undefined) {
        publicPem = createPublicKey(privatePem)
          .export({ format: 'pem', type: 'spki' })
          .toString()
          .trim();
      }
    } else if (publicPem !== undefined) {
      const problem = keyStrengthProblem(publicPem, algorithm as 'RS256', false);
      if (problem !== undefined) problems.push(`ACCESS_PUBLIC_KEY_FILE: ${problem}`);
    }
    const noSource =
      publicPem === undefined && privatePem === undefined && s.JWKS_URI === undefined;
    if (!misplacedPrivate && noSource) {
      problems.push(
        `ACCESS_TOKEN_ALGORITHM=${algorithm} requires a public key source. Auth service: set ACCESS_PRIVATE_KEY_FILE and ACCESS_PUBLIC_KEY_FILE. Consumer: set JWKS_URI (preferred) or ACCESS_PUBLIC_KEY_FILE.`,
      );
    }
  }
  if (privatePem !== undefined) s.ACCESS_PRIVATE_KEY = privatePem;
  if (publicPem !== undefined) s.ACCESS_PUBLIC_KEY = publicPem;
}

/**
 * A private key where the public one belongs would be published (JWKS, logs) or handed to
 * consumers: refuse it rather than quietly deriving its public half. True when one was found.
 */
function refuseMisplacedPrivateKeys(
  publicPem: string | undefined,
  raw: Readonly<Record<string, string>>,
  problems: string[],
): boolean {
  let misplaced = false;
  for (const [name, pem] of [
    ['ACCESS_PUBLIC_KEY_FILE', publicPem],
    ['ACCESS_PUBLIC_KEY', raw.ACCESS_PUBLIC_KEY],
  ] as const) {
    if (pem !== undefined && isPrivateKey(pem)) {
      misplaced = true;
      problems.push(
        `${name} holds a private key — give the public key there (a PEM "PUBLIC KEY"); the private key belongs in ACCESS_PRIVATE_KEY_FILE only.`,
      );
    }
  }
  return misplaced;
}

/** 5 + 6. Secret strength and "changethis" (also REFRESH_SECRET_KEY_OLD, which Python skipped). */
function applySecretRules(s: Record<string, unknown>, problems: string[]): void {
  for (const name of [...SECRET_KEY_FIELDS, ...PASSWORD_FIELDS, 'EVENT_SIGNING_KEY']) {
    const value = s[name];
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed.toLowerCase() === 'changethis') {
      problems.push(`Insecure default value for '${name}'. Set a strong unique value.`);
    } else if ((PASSWORD_FIELDS as readonly string[]).includes(name)) {
      if (!PASSWORD_REGEX.test(trimmed)) {
        problems.push(
          `${name} must be a strong password: 8+ chars, upper, lower, digit, special char.`,
        );
      }
    } else if (!isStrongSecret(trimmed)) {
      // Python's sentence, then the rule it checks.
      problems.push(`${name} must be a valid secret key: ${SECRET_KEY_RULE}.`);
    }
  }
}

function isPrivateKey(pem: string): boolean {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) return true;
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function readPem(path: unknown, name: string, problems: string[]): string | undefined {
  if (typeof path !== 'string') return undefined;
  try {
    if (!fs.statSync(path).isFile()) throw new Error('not a file');
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    problems.push(`${name} not found: ${path}`);
    return undefined;
  }
}
