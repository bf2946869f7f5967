/**
 * Tests what users install: `npm pack` the package (the `prepack` script builds it), install the
 * tarball into a scratch project and import it from CommonJS, from an ES module and from a
 * TypeScript project (module NodeNext), then load the built CommonJS entry under Jest itself.
 * Tracing: an app with the OpenTelemetry SDK gets the built package's spans, and a project
 * without `@opentelemetry/api` (a second scratch project, the tarball alone) loads it as well.
 * A TypeScript project on the old `moduleResolution: node` (Node10), which ignores `exports`,
 * must resolve every subpath too (through `typesVersions`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(__dirname, 'fixtures');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every subpath of `exports` (`''` for the root), from the package's own manifest. */
function subpaths(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  return Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => key.slice(1));
}

describe('typesVersions', () => {
  it('maps every subpath of exports to the types exports gives it (for Node10 resolution)', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import?: { types?: string } }>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    const expected = Object.fromEntries(
      subpaths()
        .filter((sub) => sub !== '')
        .map((sub) => [sub.slice(1), [manifest.exports[`.${sub}`]!.import!.types!]]),
    );
    expect(manifest.typesVersions).toEqual({ '*': expected });
  });
});

describe('the packed tarball', () => {
  let work: string;
  let bare: string;
  let tarball: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-sdk-m8-pkg-'));
    // `prepack` builds; its log shares stdout with the JSON listing, which starts at a line "[".
    const output = run(npm, ['pack', '--json', '--pack-destination', work], root);
    const packed = JSON.parse(output.slice(output.search(/^\[/m))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = path.join(work, path.basename(packed[0].filename));
    for (const file of fs.readdirSync(fixtures)) {
      fs.copyFileSync(path.join(fixtures, file), path.join(work, file));
    }
    fs.writeFileSync(
      path.join(work, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
    );
    // Optional peers the consumers import (express, prom-client, the OpenTelemetry API and
    // the SDK parts an app adds) come from the local npm cache.
    const peer = (name: string): string =>
      JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'))
        .version as string;
    run(
      npm,
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        tarball,
        `express@${peer('express')}`,
        `fastify@${peer('fastify')}`,
        `fastify-plugin@${peer('fastify-plugin')}`,
        `prom-client@${peer('prom-client')}`,
        `@opentelemetry/api@${peer('@opentelemetry/api')}`,
        `@opentelemetry/sdk-trace-base@${peer('@opentelemetry/sdk-trace-base')}`,
        `@opentelemetry/context-async-hooks@${peer('@opentelemetry/context-async-hooks')}`,
        `@types/node@${peer('@types/node')}`,
        `@types/express@${peer('@types/express')}`,
      ],
      work,
    );
    // Outside `work`, whose node_modules holds the API (prom-client depends on it).
    bare = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-sdk-m8-bare-'));
    for (const file of [
      'shared-check.cjs',
      'consumer-without-otel.cjs',
      'consumer-without-otel.mjs',
    ]) {
      fs.copyFileSync(path.join(fixtures, file), path.join(bare, file));
    }
    fs.writeFileSync(
      path.join(bare, 'package.json'),
      JSON.stringify({ name: 'bare-consumer', private: true, version: '1.0.0' }),
    );
    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
    run(npm, [...install, tarball], bare);
  }, 240_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (bare) fs.rmSync(bare, { recursive: true, force: true });
  });

  it('ships only the build, the SQL migrations and the docs', () => {
    const listing = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.cjs');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).toContain('package/dist/index.d.cts');
    expect(listing.some((f) => f.startsWith('package/lib/'))).toBe(false);
    expect(listing.some((f) => f.startsWith('package/test/'))).toBe(false);
    expect(listing.some((f) => f.endsWith('.env'))).toBe(false);
  });

  it('works from a CommonJS project', () => {
    expect(run(process.execPath, ['consumer.cjs'], work)).toContain('cjs ok');
  });

  it('works from an ES module project', () => {
    expect(run(process.execPath, ['consumer.mjs'], work)).toContain('esm ok');
  });

  it('type-checks and runs from a TypeScript project (NodeNext)', () => {
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], work);
    expect(run(process.execPath, ['out/consumer.js'], work)).toContain(
      'ts ok user-2 user invalid user-4',
    );
  });

  it('type-checks every subpath from a TypeScript project on moduleResolution node (Node10)', () => {
    const lines = subpaths().map((sub, i) => `import * as entry${i} from 'auth-sdk-m8${sub}';`);
    const uses = subpaths().map((_, i) => `entry${i}`);
    fs.writeFileSync(
      path.join(work, 'node10.ts'),
      `${lines.join('\n')}\nexport const entries = [${uses.join(', ')}];\n`,
    );
    fs.writeFileSync(
      path.join(work, 'tsconfig.node10.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          types: ['node'],
          noEmit: true,
          // Only resolution is the subject here (the optional peers' types are not installed).
          skipLibCheck: true,
        },
        files: ['node10.ts'],
      }),
    );
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    expect(() => run(process.execPath, [tsc, '-p', 'tsconfig.node10.json'], work)).not.toThrow();
  });

  it('hands its spans to the app SDK, from CommonJS and from an ES module', () => {
    expect(run(process.execPath, ['consumer-tracing.cjs'], work)).toContain('cjs tracing ok');
    expect(run(process.execPath, ['consumer-tracing.mjs'], work)).toContain('esm tracing ok');
  });

  it('loads and validates without @opentelemetry/api installed (tracing off)', () => {
    expect(run(process.execPath, ['consumer-without-otel.cjs'], bare)).toContain('without otel ok');
    expect(run(process.execPath, ['consumer-without-otel.mjs'], bare)).toContain(
      'esm without otel ok',
    );
  });

  it('loads under Jest from the built CommonJS entry', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require(path.join(work, 'node_modules/auth-sdk-m8/dist/index.cjs')) as Record<
      string,
      unknown
    >;
    expect(typeof sdk.TokenValidator).toBe('function');
    expect(typeof sdk.InvalidTokenError).toBe('function');
  });
});
