/**
 * Development defaults for the example service: fills in ONLY what the environment leaves
 * unset (keys, secrets, issuer/audience), so `npm start` works out of the box while every
 * explicit setting — good or bad — still reaches `loadSettings` and `checkConfigHealth`.
 * Generated keys live in a private temp dir and die with the process.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DevDefaults {
  env: Record<string, string | undefined>;
  /** One line per default applied, for the start log. */
  notes: string[];
  /** Removes the generated key files. */
  cleanup(): void;
}

/** A secret the Python secret-key rule accepts (32+ of A-Z a-z 0-9 - _, each class present). */
export function generateDevSecret(): string {
  return `Dev-${randomBytes(32).toString('base64url')}-0aZ`;
}

export function applyDevDefaults(source: Record<string, string | undefined>): DevDefaults {
  const env = { ...source };
  const notes: string[] = [];
  let dir: string | undefined;
  const keyDir = (): string => (dir ??= mkdtempSync(path.join(tmpdir(), 'auth-sdk-m8-dev-')));
  const unset = (name: string): boolean => env[name] === undefined || env[name] === '';

  const hasAccessKey =
    !unset('ACCESS_SECRET_KEY') ||
    !unset('ACCESS_PRIVATE_KEY_FILE') ||
    !unset('ACCESS_PUBLIC_KEY_FILE');
  if (unset('ACCESS_TOKEN_ALGORITHM') && !hasAccessKey && unset('JWKS_URI')) {
    env.ACCESS_TOKEN_ALGORITHM = 'ES256';
  }
  const algorithm = env.ACCESS_TOKEN_ALGORITHM ?? 'HS256';
  if (algorithm === 'HS256' && unset('ACCESS_SECRET_KEY') && unset('JWKS_URI')) {
    env.ACCESS_SECRET_KEY = generateDevSecret();
    notes.push('generated a dev HS256 ACCESS_SECRET_KEY (tokens die with this process)');
  }
  if (
    (algorithm === 'ES256' || algorithm === 'RS256') &&
    unset('ACCESS_PRIVATE_KEY_FILE') &&
    unset('ACCESS_PUBLIC_KEY_FILE')
  ) {
    const pair =
      algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateFile = path.join(keyDir(), 'access-private.pem');
    const publicFile = path.join(keyDir(), 'access-public.pem');
    writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(publicFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    env.ACCESS_PRIVATE_KEY_FILE = privateFile;
    env.ACCESS_PUBLIC_KEY_FILE = publicFile;
    if (unset('ACCESS_KEY_ID')) env.ACCESS_KEY_ID = `dev-${randomBytes(6).toString('hex')}`;
    notes.push(`generated a dev ${algorithm} key pair (tokens die with this process)`);
  }
  if (unset('REFRESH_SECRET_KEY')) {
    env.REFRESH_SECRET_KEY = generateDevSecret();
    notes.push('generated a dev REFRESH_SECRET_KEY (refresh tokens die with this process)');
  }
  if (unset('AUTH_SERVICE_ROLE')) env.AUTH_SERVICE_ROLE = 'issuer';
  if (unset('TOKEN_ISSUER')) env.TOKEN_ISSUER = 'urn:auth-sdk-m8:example';
  if (unset('TOKEN_AUDIENCE')) env.TOKEN_AUDIENCE = 'urn:auth-sdk-m8:example-api';

  return {
    env,
    notes,
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
