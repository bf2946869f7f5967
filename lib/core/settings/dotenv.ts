import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';

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

/** Parse a `.env` file into a plain object (no interpolation, nothing written to process.env). */
export function readDotenv(file: string): Record<string, string> {
  return parse(fs.readFileSync(file));
}
