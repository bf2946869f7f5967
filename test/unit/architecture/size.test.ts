/**
 * Code a newcomer can read: no source file in lib/ or stores/ over 400 lines, no function over
 * 80 (counted on the TypeScript syntax tree, bodies only). A module that outgrows these splits
 * along its seams.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../../..');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

function longFunctions(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      const name = node.name?.getText(source) ?? '(anonymous)';
      if (lines > MAX_FUNCTION_LINES) found.push(`${file}:${first + 1} ${name}: ${lines} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = [...sources('lib'), ...sources('stores')];

describe('module and function size', () => {
  it('reads every source file', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map(
        (file) =>
          [file, fs.readFileSync(path.join(root, file), 'utf8').split('\n').length] as const,
      )
      .filter(([, lines]) => lines > MAX_FILE_LINES)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap((file) =>
      longFunctions(file, fs.readFileSync(path.join(root, file), 'utf8')),
    );
    expect(long).toEqual([]);
  });

  it('finds a long function (the check can fail)', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions('x.ts', `function big() {\n${body}\n}\n`)).toEqual([
      'x.ts:1 big: 87 lines',
    ]);
  });
});
