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
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { programBlocks } from './doc-programs';

const root = path.resolve(__dirname, '../..');

/** The modification times (ms) of the files under `dir` (none when it does not exist). */
function mtimesUnder(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
}

/**
 * Whether dist/ was built after every input of the build last changed (tsup cleans dist/ and
 * writes it whole, so its oldest file dates the build): then `npm pack` need not build again.
 */
function buildIsFresh(): boolean {
  const dist = mtimesUnder(path.join(root, 'dist'));
  if (dist.length === 0) return false;
  const built = Math.min(...dist);
  const inputs = ['lib', 'stores'].flatMap((dir) => mtimesUnder(path.join(root, dir)));
  for (const file of ['package.json', 'tsup.config.ts', 'tsconfig.json', 'tsconfig.build.json']) {
    const full = path.join(root, file);
    if (fs.existsSync(full)) inputs.push(fs.statSync(full).mtimeMs);
  }
  return Math.max(...inputs) < built;
}
const fixtures = path.join(__dirname, 'fixtures');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NEST_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/passport',
  'passport',
  'reflect-metadata',
  'rxjs',
];
const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];

/**
 * Runs a command to its end: resolves what it printed on stdout, rejects (with its output)
 * when it exits non-zero. Asynchronous, so that independent commands run side by side.
 */
const running = new Set<ChildProcess>();
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('close', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const how = signal === null ? `exit ${code}` : `signal ${signal}`;
        reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}): ${how}\n${stderr}${stdout}`));
      }
    });
  });
}

/** At most `limit` processes at a time: the machine has few cores and other tests run too. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
const processSlot = limiter(3);

/**
 * `node <script>` in `cwd`, started at most once: the setup starts the independent consumers
 * side by side and each test awaits (and checks) the run it is about.
 */
const nodeRuns = new Map<string, Promise<string>>();
function runNode(script: string, cwd: string): Promise<string> {
  const key = path.join(cwd, script);
  let started = nodeRuns.get(key);
  if (started === undefined) {
    started = processSlot(() => run(process.execPath, [script], cwd));
    // Awaited by its test; until then a failure must not count as an unhandled rejection.
    started.catch(() => undefined);
    nodeRuns.set(key, started);
  }
  return started;
}

/**
 * Declaration files (the TypeScript libs, @types/node, Express, Nest, the package's own
 * .d.ts), parsed and bound once for the projects below instead of once per `tsc` process. A
 * file is shared only between projects that parse it alike: same implied module format (CommonJS
 * or ES module, decided by module resolution) and same external-module detection. The target
 * only decides, in a declaration file, which Unicode letters an identifier may use (ES5 or
 * later), so it is shared across ES2015+ targets; the binder's option-dependent checks
 * (unreachable code, labels, switch fall-through) concern statements, which declaration
 * files do not hold. Project sources are always read fresh.
 */
const declarations = new Map<string, ts.SourceFile | undefined>();

function compilerHost(options: ts.CompilerOptions, cwd: string): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  host.getCurrentDirectory = () => cwd;
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    const declaration = /\.d\.[cm]?ts$/.test(fileName);
    if (!declaration || shouldCreate) {
      return parse(fileName, languageVersionOrOptions, onError, shouldCreate);
    }
    const settings: ts.CreateSourceFileOptions =
      typeof languageVersionOrOptions === 'object'
        ? languageVersionOrOptions
        : { languageVersion: languageVersionOrOptions };
    const key = [
      path.resolve(cwd, fileName),
      settings.languageVersion >= ts.ScriptTarget.ES2015 ? 'es2015+' : settings.languageVersion,
      settings.impliedNodeFormat,
      settings.jsDocParsingMode,
      options.moduleDetection,
      options.jsx,
    ].join('|');
    if (!declarations.has(key)) {
      declarations.set(key, parse(fileName, languageVersionOrOptions, onError));
    }
    return declarations.get(key);
  };
  return host;
}

/**
 * `tsc -p <config>` in `cwd`, in this process: the same program, diagnostics and emit as the
 * command (its `emitFilesAndReportErrors`). Throws with the diagnostics, formatted as tsc prints
 * them, when there is any: tsc would exit non-zero.
 */
function tsc(cwd: string, config: string): void {
  const formatHost: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => cwd,
    getNewLine: () => '\n',
  };
  const unrecoverable: ts.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(cwd, config),
    {},
    {
      ...ts.sys,
      getCurrentDirectory: () => cwd,
      onUnRecoverableConfigFileDiagnostic: (d) => unrecoverable.push(d),
    },
  );
  if (parsed === undefined) {
    throw new Error(`tsc -p ${config}:\n${ts.formatDiagnostics(unrecoverable, formatHost)}`);
  }
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences ?? [],
    host: compilerHost(parsed.options, cwd),
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
  });
  const all = [...program.getConfigFileParsingDiagnostics()];
  const fromConfig = all.length;
  all.push(...program.getSyntacticDiagnostics());
  if (all.length === fromConfig) {
    all.push(...program.getOptionsDiagnostics());
    all.push(...program.getGlobalDiagnostics());
    if (all.length === fromConfig) all.push(...program.getSemanticDiagnostics());
    const declarations = parsed.options.declaration === true || parsed.options.composite === true;
    if (parsed.options.noEmit && declarations && all.length === fromConfig) {
      all.push(...program.getDeclarationDiagnostics());
    }
  }
  all.push(...program.emit().diagnostics);
  const diagnostics = ts.sortAndDeduplicateDiagnostics(all);
  if (diagnostics.length > 0) {
    throw new Error(
      `tsc -p ${config} (in ${cwd}):\n${ts.formatDiagnostics(diagnostics, formatHost)}`,
    );
  }
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

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-sdk-m8-pkg-'));
    for (const file of fs.readdirSync(fixtures)) {
      fs.copyFileSync(path.join(fixtures, file), path.join(work, file));
    }
    fs.writeFileSync(
      path.join(work, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
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
    // Optional peers the consumers import (express, prom-client, the OpenTelemetry API and
    // the SDK parts an app adds) come from the local npm cache. They do not depend on the
    // build: they install while `npm pack` builds, and the tarball joins them after.
    const peer = (name: string): string =>
      JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'))
        .version as string;
    const peers = run(
      npm,
      [
        ...install,
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
    peers.catch(() => undefined); // awaited below, after the pack
    // `prepack` builds; its log shares stdout with the JSON listing, which starts at a line "[".
    // A build newer than every source (CI builds just before the tests) is packed as it is.
    const pack = ['pack', '--json', '--pack-destination', work];
    const output = await run(npm, buildIsFresh() ? [...pack, '--ignore-scripts'] : pack, root);
    const packed = JSON.parse(output.slice(output.search(/^\[/m))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = path.join(work, path.basename(packed[0]!.filename));
    await peers;
    // Both projects install the tarball at once (npm's cache takes concurrent installs).
    await Promise.all([
      run(npm, [...install, tarball], work),
      run(npm, [...install, tarball], bare),
    ]);
    // The consumers that only run: started side by side now, each checked by its test.
    for (const script of [
      'consumer.cjs',
      'consumer.mjs',
      'nest-consumer.cjs',
      'nest-consumer.mjs',
      'consumer-tracing.cjs',
      'consumer-tracing.mjs',
    ]) {
      void runNode(script, work);
    }
    void runNode('consumer-without-otel.cjs', bare);
    void runNode('consumer-without-otel.mjs', bare);
  }, 240_000);

  afterAll(async () => {
    // Every test has awaited its run: what still runs is stuck or was left out (jest -t).
    for (const child of running) child.kill('SIGTERM');
    await Promise.allSettled(nodeRuns.values());
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (bare) fs.rmSync(bare, { recursive: true, force: true });
  });

  it('ships only the build, the SQL migrations and the docs', async () => {
    const listing = (await run('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean);
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

  it('works from a CommonJS project', async () => {
    expect(await runNode('consumer.cjs', work)).toContain('cjs ok');
  });

  it('works from an ES module project', async () => {
    expect(await runNode('consumer.mjs', work)).toContain('esm ok');
  });

  it('type-checks and runs from a TypeScript project (NodeNext)', async () => {
    tsc(work, 'tsconfig.json');
    expect(await runNode('out/consumer.js', work)).toContain('ts ok user-2 user invalid user-4');
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
    expect(() => tsc(work, 'tsconfig.node10.json')).not.toThrow();
  });

  it('boots a Nest app from auth-sdk-m8/nest in CommonJS and as an ES module', async () => {
    expect(await runNode('nest-consumer.cjs', work)).toContain('nest cjs ok');
    expect(await runNode('nest-consumer.mjs', work)).toContain('nest esm ok');
  });

  it('type-checks and runs a Nest 10-style TypeScript project (moduleResolution node, decorator metadata)', async () => {
    tsc(work, 'nest-tsconfig.json');
    expect(await runNode('out-nest/nest-consumer.js', work)).toContain('nest ts ok user-10 500');
  });

  it('builds the Nest app of docs/frameworks.md from the tarball: it compiles under strict and serves', async () => {
    const doc = fs.readFileSync(path.join(root, 'docs/frameworks.md'), 'utf8');
    const blocks = programBlocks(doc, 'nest');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    fs.writeFileSync(path.join(work, 'readme-nest.ts'), blocks.join('\n'));
    tsc(work, 'nest-readme-tsconfig.json');
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

  it('hands its spans to the app SDK, from CommonJS and from an ES module', async () => {
    expect(await runNode('consumer-tracing.cjs', work)).toContain('cjs tracing ok');
    expect(await runNode('consumer-tracing.mjs', work)).toContain('esm tracing ok');
  });

  it('loads and validates without @opentelemetry/api installed (tracing off)', async () => {
    expect(await runNode('consumer-without-otel.cjs', bare)).toContain('without otel ok');
    expect(await runNode('consumer-without-otel.mjs', bare)).toContain('esm without otel ok');
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
