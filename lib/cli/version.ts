/** `auth-sdk-m8 --version`: the version of the installed package. */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './command';

const PACKAGE_NAME = 'auth-sdk-m8';

/**
 * The version in our package.json, found from this file upwards: dist/ (installed package) and
 * lib/cli/ (tsx, tests) both sit two folders or fewer below it. Under ESM without `__dirname`
 * (tsx), the script path stands in for this file.
 */
export function packageVersion(): string {
  for (const start of searchStarts()) {
    const version = versionAbove(start);
    if (version !== undefined) return version;
  }
  throw new CliError(`cannot find the package.json of ${PACKAGE_NAME} to read its version.`);
}

function searchStarts(): string[] {
  const starts: string[] = [];
  if (typeof __dirname === 'string') starts.push(__dirname);
  const script = process.argv[1];
  if (script !== undefined && fs.existsSync(script)) {
    starts.push(path.dirname(fs.realpathSync(script)));
  }
  return starts;
}

/** The version of the nearest package.json named auth-sdk-m8 in `start` or a folder above. */
function versionAbove(start: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
