/**
 * HashiCorp Vault KV v2 source (the Python `VaultProvider`): used only when SECRET_PROVIDER=vault
 * in ENVIRONMENT production or staging, read last (every other source wins), and only for the
 * keys the Python settings take from Vault. Neither the token nor a value ever appears in a
 * message.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The keys Python 0.6.10 reads from Vault (REFRESH_SECRET_KEY is not one of them). */
export const VAULT_SECRET_FIELDS = ['ACCESS_SECRET_KEY', 'DB_PASSWORD', 'REDIS_PASSWORD'] as const;
/** KV v2 path of the secrets (mount `secret`, path `app`). */
export const VAULT_SECRET_PATH = 'secret/data/app';
export const DEFAULT_VAULT_TIMEOUT_MS = 5000;

export interface VaultAccess {
  address: string;
  token: string;
}

/** Vault applies: SECRET_PROVIDER=vault (any case) and ENVIRONMENT production/staging. */
export function vaultRequested(raw: Readonly<Record<string, string>>): boolean {
  const environment = (raw.ENVIRONMENT ?? '').toLowerCase();
  return (
    (raw.SECRET_PROVIDER ?? '').toLowerCase() === 'vault' &&
    (environment === 'production' || environment === 'staging')
  );
}

/**
 * VAULT_ADDR and VAULT_TOKEN, or the token from `vault_token` in the secrets directory.
 * Python quietly skipped Vault when either was missing; here that is a problem, since the
 * service was told to take its secrets from Vault.
 */
export function vaultAccess(
  raw: Readonly<Record<string, string>>,
  secretsDir: string | undefined,
  problems: string[],
): VaultAccess | undefined {
  const address = raw.VAULT_ADDR?.trim();
  let token = raw.VAULT_TOKEN?.trim();
  const tokenFile = secretsDir === undefined ? undefined : path.join(secretsDir, 'vault_token');
  if (!token && tokenFile !== undefined) {
    try {
      token = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        problems.push(`Vault token file ${tokenFile} cannot be read: ${code ?? 'error'}`);
    }
  }
  if (!address) problems.push('SECRET_PROVIDER=vault needs VAULT_ADDR');
  if (!token) {
    problems.push(
      `SECRET_PROVIDER=vault needs VAULT_TOKEN${tokenFile === undefined ? '' : ` or a token in ${tokenFile}`}`,
    );
  }
  return address && token ? { address, token } : undefined;
}

/**
 * GET {VAULT_ADDR}/v1/secret/data/app with X-Vault-Token, answer `{data:{data:{...}}}`. Returns
 * the Vault keys found there; every failure (refused token, missing path, timeout, unexpected
 * body) becomes a problem saying what went wrong without any secret.
 */
export async function readVaultSecrets(
  access: VaultAccess,
  timeoutMs: number,
  problems: string[],
): Promise<Record<string, string>> {
  const url = `${access.address.replace(/\/+$/, '')}/v1/${VAULT_SECRET_PATH}`;
  const where = `Vault ${VAULT_SECRET_PATH} at ${access.address}`;
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, {
      headers: { 'X-Vault-Token': access.token, Accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      // Never follow: the token header would go along to wherever the redirect points.
      redirect: 'manual',
    });
    status = response.status;
    body = await response.text();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      problems.push(`${where}: no answer within ${String(timeoutMs)} ms`);
    } else {
      // The cause carries the network code (ECONNREFUSED, ENOTFOUND…), never the token.
      const cause = (err as { cause?: { code?: unknown } }).cause;
      const code = typeof cause?.code === 'string' ? cause.code : 'request failed';
      problems.push(`${where} cannot be reached: ${code}`);
    }
    return {};
  }
  if (status === 403) {
    problems.push(`${where}: permission denied (403) — check VAULT_TOKEN and its policy`);
    return {};
  }
  if (status === 404) {
    problems.push(`${where}: no secret at this path (404)`);
    return {};
  }
  if (status >= 300 && status < 400) {
    problems.push(
      `${where}: redirected (${String(status)}), not followed — point VAULT_ADDR at the active node`,
    );
    return {};
  }
  if (status < 200 || status > 299) {
    problems.push(`${where}: unexpected HTTP status ${String(status)}`);
    return {};
  }
  let data: unknown;
  try {
    data = (JSON.parse(body) as { data?: { data?: unknown } } | null)?.data?.data;
  } catch {
    data = undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push(`${where}: the answer is not a KV v2 secret ({"data":{"data":{...}}})`);
    return {};
  }
  const found: Record<string, string> = {};
  for (const name of VAULT_SECRET_FIELDS) {
    const value = (data as Record<string, unknown>)[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') problems.push(`${where}: ${name} is not a string`);
    else if (value.trim() !== '') found[name] = value;
  }
  return found;
}
