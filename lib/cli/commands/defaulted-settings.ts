/** Which settings `check-config` reports as `(default)`: nothing the user gave sets them. */
import type Joi from 'joi';
import { readDotenv } from '../../core/settings/dotenv';
import { readSecretsDir } from '../../core/settings/secrets-dir';

/** Where `check-config` reads the settings from, as `loadSettings` takes them. */
export interface SettingsSources {
  env: Record<string, string | undefined>;
  envFiles: readonly string[];
  secretsDir: string;
  schema: Joi.ObjectSchema;
}

/**
 * The schema's settings that have a default and that no source sets (not the env, a .env
 * file or the secrets folder; an empty value counts as unset, as in `loadSettings`).
 */
export function defaultedSettings(sources: SettingsSources): string[] {
  const keys = (sources.schema.describe().keys ?? {}) as Record<
    string,
    { flags?: { default?: unknown } }
  >;
  const withDefault = Object.keys(keys).filter((name) => keys[name]?.flags?.default !== undefined);
  const layers: Record<string, string | undefined>[] = [
    sources.env,
    readSecretsDir(sources.secretsDir, withDefault, []),
  ];
  for (const file of sources.envFiles) {
    try {
      layers.push(readDotenv(file, sources.env));
    } catch {
      // loadSettings has reported it already.
    }
  }
  const given = (name: string): boolean =>
    layers.some((layer) => (layer[name] ?? '').trim() !== '');
  return withDefault.filter((name) => !given(name));
}
