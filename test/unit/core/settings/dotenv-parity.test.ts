import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDotenv, readDotenv } from '../../../../lib/core/settings/dotenv';

interface Corpus {
  'python-dotenv': string;
  env: Record<string, string>;
  cases: { name: string; input: string; expected: [string, string | null][] }[];
}

const corpus = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../fixtures/python-dotenv/corpus.json'), 'utf8'),
) as Corpus;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dotenv-parity-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe(`.env parsing matches python-dotenv ${corpus['python-dotenv']} dotenv_values()`, () => {
  it('has a corpus worth the name', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Through a file, as pydantic-settings reads it (newline handling included).
    const file = path.join(dir, 'case.env');
    fs.writeFileSync(file, c.input, 'utf8');
    const parsed = parseDotenv(fs.readFileSync(file, 'utf8'), corpus.env);
    expect([...parsed]).toEqual(c.expected);
    // readDotenv: the same values as a plain object, bare keys left out.
    expect(readDotenv(file, corpus.env)).toEqual(
      Object.fromEntries(c.expected.filter(([, v]) => v !== null)),
    );
  });

  it('resolves ${VAR} only from own properties of the environment', () => {
    expect(parseDotenv('A=${toString}|${MISSING:-d}', {}).get('A')).toBe('|d');
  });
});
