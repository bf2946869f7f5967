import fs from 'node:fs';
import path from 'node:path';

/** Where Docker (and `docker compose`) mounts secrets. */
export const DEFAULT_SECRETS_DIR = '/run/secrets';

/**
 * The Docker secrets source (pydantic-settings `secrets_dir`): one file per variable, named
 * like the variable (case-insensitive, an exact match first), its content trimmed. A missing
 * directory is normal (not every host mounts secrets); a directory or file that exists but
 * cannot be read is a problem, reported by name and path only.
 */
export function readSecretsDir(
  dir: string,
  names: readonly string[],
  problems: string[],
): Record<string, string> {
  const found: Record<string, string> = {};
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code !== 'ENOENT') problems.push(`secretsDir ${dir} cannot be read: ${code}`);
    return found;
  }
  for (const name of names) {
    const entry =
      entries.find((e) => e === name) ??
      entries.find((e) => e.toLowerCase() === name.toLowerCase());
    if (entry === undefined) continue;
    const file = path.join(dir, entry);
    try {
      const value = fs.readFileSync(file, 'utf8').trim();
      if (value !== '') found[name] = value;
    } catch (err) {
      problems.push(
        `${name}: secret file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  return found;
}
