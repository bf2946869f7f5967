/**
 * Type-level tests of the public API: `test/types/*.ts` are compiled against the sources (the
 * package names map to them as in the root tsconfig.json) with `strict` and
 * `exactOptionalPropertyTypes`, the strictest settings a consumer may use. They pin the
 * `AnyAuthError` narrowing on `code`, that wrong uses fail (`@ts-expect-error`), and that
 * optional option fields accept `undefined`. Only diagnostics in those files count: the
 * sources' own compile settings are checked by `npm run typecheck`.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const typesDir = path.join(root, 'test/types');
const configFile = path.join(typesDir, 'tsconfig.json');

function parseConfig(file: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${file}`);
  return parsed;
}

function format(diagnostics: readonly ts.Diagnostic[]): string[] {
  return diagnostics.map((d) => {
    const where = d.file
      ? `${path.relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '(global)';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function diagnosticsOf(program: ts.Program, files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const source = program.getSourceFile(file);
    if (!source) return [`${path.relative(root, file)} is not in the program`];
    return format([
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ]);
  });
}

const config = parseConfig(configFile);
const typeFiles = config.fileNames.map((f) => path.resolve(f));
const program = ts.createProgram(typeFiles, config.options);

describe('public types (test/types, strict + exactOptionalPropertyTypes)', () => {
  it('compiles with the strictest consumer settings', () => {
    expect(config.errors).toEqual([]);
    expect(config.options.strict).toBe(true);
    expect(config.options.exactOptionalPropertyTypes).toBe(true);
  });

  it('maps every package name to the same source file as the root tsconfig.json', () => {
    const rootPaths = (
      JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as {
        compilerOptions: { paths: Record<string, string[]> };
      }
    ).compilerOptions.paths;
    const resolve = (paths: Record<string, string[]>, base: string) =>
      Object.fromEntries(
        Object.entries(paths).map(([name, [target]]) => [name, path.resolve(base, target!)]),
      );
    expect(resolve(config.options.paths ?? {}, typesDir)).toEqual(resolve(rootPaths, root));
  });

  it('covers the error narrowing, the wrong uses, the optional options, a Passport and a Fastify app', () => {
    const names = typeFiles.map((f) => path.relative(typesDir, f)).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'errors.ts',
        'fastify-app.ts',
        'misuse.ts',
        'options.ts',
        'passport-app.ts',
      ]),
    );
    const misuse = fs.readFileSync(path.join(typesDir, 'misuse.ts'), 'utf8');
    expect(misuse.match(/@ts-expect-error/g)?.length ?? 0).toBeGreaterThanOrEqual(10);
  });

  it('has no type error in test/types (an unused @ts-expect-error is one)', () => {
    expect(diagnosticsOf(program, typeFiles)).toEqual([]);
  });

  it('reports a wrong use that carries no @ts-expect-error (the check can fail)', () => {
    const probe = path.join(typesDir, '__probe__.ts');
    const text = [
      "import { requireRole } from 'auth-sdk-m8/express';",
      "import { metricsRouter, type Metrics } from 'auth-sdk-m8/metrics';",
      'declare const metrics: Metrics;',
      "requireRole('owner');",
      'metricsRouter(metrics, { scrapeToken: 42 });',
      '// @ts-expect-error nothing is wrong on the next line',
      'export const fine = 1;',
    ].join('\n');
    const host = ts.createCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, ...rest) =>
      path.resolve(file) === probe
        ? ts.createSourceFile(file, text, language)
        : getSourceFile(file, language, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => path.resolve(file) === probe || fileExists(file);
    const withProbe = ts.createProgram([probe], config.options, host, program);
    const found = diagnosticsOf(withProbe, [probe]);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/__probe__\.ts:4 .*'"owner"'/);
    expect(found[1]).toMatch(/__probe__\.ts:5 .*number/);
    expect(found[2]).toMatch(/__probe__\.ts:6 Unused '@ts-expect-error' directive/);
  });
});
