/**
 * Tests what users install: `npm pack` the package (the `prepack` script builds it), install the
 * tarball into a scratch project and import it from CommonJS, from an ES module and from a
 * TypeScript project (module NodeNext), then load the built CommonJS entry under Jest itself.
 * Tracing: an app with the OpenTelemetry SDK gets the built package's spans, and a project
 * without `@opentelemetry/api` (a second scratch project, the tarball alone) loads it as well.
 * A TypeScript project on the old `moduleResolution: node` (Node10), which ignores `exports`,
 * must resolve every subpath too (through `typesVersions`). `auth-sdk-m8/nest` boots a Nest app
 * from CommonJS, an ES module and a Nest 10-style project (`moduleResolution: node`, decorator
 * metadata), and the Nest app of docs/frameworks.md is built from the tarball and served.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { programBlocks } from './doc-programs';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(__dirname, 'fixtures');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const NEST_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/passport',
  'passport',
  'reflect-metadata',
  'rxjs',
];

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
        // auth-sdk-m8/nest and the Nest app of docs/frameworks.md.
        ...NEST_PACKAGES.map((name) => `${name}@${peer(name)}`),
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
    // The README's reference pages, so its links resolve in an installed package too.
    expect(listing).toContain('package/docs/flows.md');
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
    expect(() => run(process.execPath, [tsc, '-p', 'tsconfig.node10.json'], work)).not.toThrow();
  });

  it('boots a Nest app from auth-sdk-m8/nest in CommonJS and as an ES module', () => {
    expect(run(process.execPath, ['nest-consumer.cjs'], work)).toContain('nest cjs ok');
    expect(run(process.execPath, ['nest-consumer.mjs'], work)).toContain('nest esm ok');
  });

  it('type-checks and runs a Nest 10-style TypeScript project (moduleResolution node, decorator metadata)', () => {
    run(process.execPath, [tsc, '-p', 'nest-tsconfig.json'], work);
    expect(run(process.execPath, ['out-nest/nest-consumer.js'], work)).toContain(
      'nest ts ok user-10 500',
    );
  });

  it('builds the Nest app of docs/frameworks.md from the tarball: it compiles under strict and serves', async () => {
    const doc = fs.readFileSync(path.join(root, 'docs/frameworks.md'), 'utf8');
    const blocks = programBlocks(doc, 'nest');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    fs.writeFileSync(path.join(work, 'readme-nest.ts'), blocks.join('\n'));
    run(process.execPath, [tsc, '-p', 'nest-readme-tsconfig.json'], work);
    const child = spawn(process.execPath, ['out-readme/readme-nest.js'], {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        ACCESS_TOKEN_ALGORITHM: 'HS256',
        ACCESS_SECRET_KEY: 'Packaging-Access_Key-0123456789-ABCDEFGH',
        REFRESH_SECRET_KEY: 'Packaging-Refresh_Key-0123456789-ABCDEFGH',
        TOKEN_MODE: 'stateful',
        PORT: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const base = await startLine(child);
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@example.com', password: 'demo-password' }),
      });
      expect(login.status).toBe(200);
      const { access_token: access } = (await login.json()) as { access_token: string };
      const admin = await fetch(`${base}/admin`, {
        headers: { authorization: `Bearer ${access}` },
      });
      expect(await admin.json()).toEqual({ hello: 'admin@example.com' });
      const viaPassport = await fetch(`${base}/passport/me`, {
        headers: { authorization: `Bearer ${access}x` },
      });
      expect(viaPassport.status).toBe(401);
      expect(viaPassport.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);

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

/** The base URL a server prints on its start line (`listening on http://…`). */
function startLine(child: ChildProcess): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${output}`)), 30_000);
    const read = (d: Buffer): void => {
      output += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
}
