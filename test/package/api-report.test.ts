/**
 * The API report: every name each public entry exports, values and types apart, pinned in
 * `api-report.json`. Adding or removing a name fails here until the report is updated
 * (`UPDATE_API_REPORT=1 npx jest test/package/api-report.test.ts`), so each change of the
 * public surface is a visible decision in review.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const reportFile = path.join(__dirname, 'api-report.json');
const { compilerOptions } = JSON.parse(
  fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'),
) as { compilerOptions: { paths: Record<string, [string]> } };
const entries = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [file]]) => [name, path.join(root, file)]),
);

interface EntryReport {
  values: string[];
  types: string[];
}

const program = ts.createProgram(Object.values(entries), {
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
});
const checker = program.getTypeChecker();

function exportsOf(): Record<string, EntryReport> {
  const report: Record<string, EntryReport> = {};
  for (const [name, file] of Object.entries(entries)) {
    const source = program.getSourceFile(file)!;
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const isValue = (target.flags & ts.SymbolFlags.Value) !== 0 && !isTypeOnlyExport(symbol);
      (isValue ? values : types).push(symbol.name);
    }
    report[name] = { values: values.sort(), types: types.sort() };
  }
  return report;
}

function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

describe('public API report', () => {
  const actual = exportsOf();

  if (process.env.UPDATE_API_REPORT === '1') {
    fs.writeFileSync(reportFile, `${JSON.stringify(actual, null, 2)}\n`);
  }

  it('matches api-report.json for every entry', () => {
    const pinned = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Record<string, EntryReport>;
    expect(actual).toEqual(pinned);
  });

  it('keeps the root entry to at most 40 runtime values', () => {
    expect(actual['auth-sdk-m8']!.values.length).toBeLessThanOrEqual(40);
  });

  it('declares each exported name once across the entries it appears in', () => {
    // One name, one meaning: a name exported by two entries must be the same declaration.
    const declared = new Map<string, Set<ts.Declaration>>();
    for (const file of Object.values(entries)) {
      const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
      for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
        const target =
          symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const set = declared.get(symbol.name) ?? new Set();
        for (const d of target.declarations ?? []) set.add(d);
        declared.set(symbol.name, set);
      }
    }
    // The overload signatures of one function are one declaration.
    const where = (d: ts.Declaration): string =>
      ts.isFunctionDeclaration(d) && d.name !== undefined
        ? `${d.getSourceFile().fileName}:function ${d.name.text}`
        : `${d.getSourceFile().fileName}:${d.pos}`;
    const twice = [...declared].filter(([, set]) => {
      const files = new Set([...set].map(where));
      return files.size > 1 && ![...set].every((d) => ts.isModuleDeclaration(d));
    });
    expect(twice.map(([name]) => name)).toEqual([]);
  });
});
