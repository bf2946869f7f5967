/**
 * The README and docs/ are tested code (see `doc-programs.ts` for how blocks form programs).
 * Every program is compiled against the package's sources (package names mapped as in
 * tsconfig.json) with the settings `tsc --init` generates (`strict`,
 * `exactOptionalPropertyTypes`), plus decorators and their metadata where it imports NestJS, as
 * Nest apps compile. Every program that listens is then run as a real server and driven over
 * HTTP through what its text describes. A document that drifts from the code fails here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  docFiles,
  docPrograms,
  fencedBlocks,
  fileLineOf,
  programFile,
  root,
  type DocProgram,
} from './doc-programs';

const workDir = path.join(root, 'test/package/.work');
const documents = docFiles().map((file) => ({
  file,
  markdown: fs.readFileSync(path.join(root, file), 'utf8'),
}));
const programs = documents.flatMap(({ file, markdown }) => docPrograms(file, markdown));
const readme = documents[0]!.markdown;

function programNamed(id: string): DocProgram {
  const found = programs.find((program) => program.id === id);
  if (found === undefined) throw new Error(`no program "${id}" in the docs`);
  return found;
}

const usesNest = (source: string): boolean => /from '@nestjs\//.test(source);

function compilerOptions(nest: boolean): ts.CompilerOptions {
  const { compilerOptions: rootOptions } = JSON.parse(
    fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'),
  ) as { compilerOptions: { paths: Record<string, string[]> } };
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    // A snippet that imports what it never uses misleads the reader: refuse it.
    noUnusedLocals: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    ...(nest ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {}),
    paths: Object.fromEntries(
      Object.entries(rootOptions.paths).map(([name, [target]]) => [
        name,
        [path.join(root, target!)],
      ]),
    ),
  };
}

// One host for every program: the package's sources and the type declarations are read and
// parsed once, and each import is resolved once; only the programs (in workDir) are read each
// time.
const host = ts.createCompilerHost(compilerOptions(false));
const parsed = new Map<string, ts.SourceFile | undefined>();
const parse = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, languageVersion, ...rest) => {
  if (path.resolve(fileName).startsWith(workDir)) return parse(fileName, languageVersion, ...rest);
  if (!parsed.has(fileName)) parsed.set(fileName, parse(fileName, languageVersion, ...rest));
  return parsed.get(fileName);
};
const resolutions = ts.createModuleResolutionCache(
  host.getCurrentDirectory(),
  (fileName) => host.getCanonicalFileName(fileName),
  compilerOptions(false),
);
host.getModuleResolutionCache = () => resolutions;

/** Writes a program's source where it is compiled and run; returns the file. */
function writeProgram(program: DocProgram, source = program.source): string {
  const file = programFile(workDir, program);
  fs.mkdirSync(workDir, { recursive: true });
  // A running service may be reading it: rewrite it only when it changes.
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== source) {
    fs.writeFileSync(file, source);
  }
  return file;
}

/** Whether a file's declarations reach beyond it: a global script, `declare global`, `declare module '…'` or a UMD global. */
function shapesOthers(file: ts.SourceFile): boolean {
  if (!ts.isExternalModule(file)) return true;
  return file.statements.some(
    (statement) =>
      ts.isNamespaceExportDeclaration(statement) ||
      (ts.isModuleDeclaration(statement) &&
        (ts.isStringLiteral(statement.name) ||
          (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0)),
  );
}

/** Diagnostics of one program file, at their Markdown line. */
function diagnosticsOf(compiled: ts.Program, program: DocProgram, file: string): string[] {
  const sourceFile = compiled.getSourceFile(file)!;
  return [
    ...compiled.getSyntacticDiagnostics(sourceFile),
    ...compiled.getSemanticDiagnostics(sourceFile),
  ].map((d) => {
    const line = sourceFile.getLineAndCharacterOfPosition(d.start ?? 0).line;
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    return `${program.file}:${fileLineOf(program, line)}: ${text}`;
  });
}

/**
 * Compiles programs together where that changes nothing: programs with the same compiler
 * options that load the same files declaring beyond themselves (globals, `declare global`,
 * module augmentations such as Passport's `Express.User` or the package's Fastify decorators)
 * share one TypeScript program, one type checker, and each file's diagnostics are read
 * apart. Any other file one of them loads cannot change what another sees, so each gets the
 * diagnostics it gets alone. Each program's own file set is built first (no checking) to
 * group them; a program alone in its group is checked alone. Results by file and source.
 */
function compileTogether(
  entries: ReadonlyArray<{ program: DocProgram; source: string }>,
): Map<string, string[]> {
  const groups = new Map<
    string,
    Array<{ program: DocProgram; source: string; file: string; alone: ts.Program }>
  >();
  for (const entry of entries) {
    const nest = usesNest(entry.source);
    const file = writeProgram(entry.program, entry.source);
    const alone = ts.createProgram([file], compilerOptions(nest), host);
    const key = [nest, ...shapingFiles(alone)].join('\n');
    groups.set(key, [...(groups.get(key) ?? []), { ...entry, file, alone }]);
  }
  const results = new Map<string, string[]>();
  for (const [key, group] of groups) {
    let compiled = group[0]!.alone;
    if (group.length > 1) {
      const together = ts.createProgram(
        group.map(({ file }) => file),
        compilerOptions(usesNest(group[0]!.source)),
        host,
      );
      // The union of their file sets: it declares beyond itself no more than each alone.
      if ([String(usesNest(group[0]!.source)), ...shapingFiles(together)].join('\n') === key) {
        compiled = together;
      }
    }
    for (const { program, source, file, alone } of group) {
      const from = compiled.getSourceFile(file) === undefined ? alone : compiled;
      results.set(`${file}\n${source}`, diagnosticsOf(from, program, file));
    }
  }
  return results;
}

/** The files of a program that declare beyond themselves, sorted. */
function shapingFiles(compiled: ts.Program): string[] {
  return compiled
    .getSourceFiles()
    .filter(shapesOthers)
    .map((sourceFile) => path.resolve(sourceFile.fileName))
    .sort();
}

/** The drifts of the "the check can fail" tests: a program, a text in it and its drifted form. */
const drifts: Array<[string, string, string]> = [
  ['README.md express', 'authRoutes(flowOptions)', 'authRoutes({ ...flowOptions, prefixes: 1 })'],
  ['README.md nest', "routes: { prefix: 'auth' }", "routes: { prefixes: 'auth' }"],
  ['docs/frameworks.md fastify', 'app.requireRole(', 'app.requireRoles('],
];

function drifted([id, from, to]: [string, string, string]): {
  program: DocProgram;
  source: string;
} {
  const program = programNamed(id);
  return { program: { ...program, id: `${id} drifted` }, source: program.source.replace(from, to) };
}

let compiledDocs: Map<string, string[]> | undefined;

/**
 * Diagnostics of a program (empty when it compiles), at their Markdown line. The docs'
 * programs and their drifted forms are compiled together on the first call.
 */
function compile(program: DocProgram, source = program.source): string[] {
  compiledDocs ??= compileTogether([
    ...programs.map((p) => ({ program: p, source: p.source })),
    ...drifts.map(drifted),
  ]);
  const found = compiledDocs.get(`${programFile(workDir, program)}\n${source}`);
  return found ?? compileTogether([{ program, source }]).values().next().value!;
}

/**
 * The file a program runs from. tsx emits no decorator metadata, which Nest injects by: a Nest
 * program is emitted by TypeScript first (ESM, with the metadata) and run as JavaScript.
 */
function runnableFile(program: DocProgram): string {
  const file = writeProgram(program);
  if (!usesNest(program.source)) return file;
  const js = ts.transpileModule(program.source, {
    compilerOptions: { ...compilerOptions(true), module: ts.ModuleKind.ESNext, paths: undefined },
  }).outputText;
  const jsFile = file.replace(/\.ts$/, '.mjs');
  fs.writeFileSync(jsFile, js);
  return jsFile;
}

interface RunningProgram {
  child: ChildProcess;
  base: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

interface LaunchedProgram {
  child: ChildProcess;
  /** Settles on its start line: the base URL, or the error when it exits first. */
  started: Promise<string>;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/** Starts a program as a server (test keys, PORT 0); `started` waits for its start line. */
function launchProgram(
  file: string,
  env: Record<string, string> = {},
  preload: string[] = [],
): LaunchedProgram {
  let output = '';
  const imports = preload.flatMap((module) => ['--import', module]);
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [...imports, file], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      ACCESS_SECRET_KEY: 'Readme-Access_Key-0123456789-ABCDEFGH',
      REFRESH_SECRET_KEY: 'Readme-Refresh_Key-0123456789-ABCDEFGH',
      TOKEN_MODE: 'stateful',
      METRICS_ENABLED: 'true',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const started = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  // Awaited by its service's tests; until then an early exit must not count as unhandled.
  started.catch(() => undefined);
  return { child, started, output: () => output };
}

/** A launched program once it prints its start line (at most 60 s from now). */
async function startedProgram(launched: LaunchedProgram): Promise<RunningProgram> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no start within 60 s:\n${launched.output()}`)),
      60_000,
    );
  });
  try {
    const base = await Promise.race([launched.started, late]);
    return { child: launched.child, base, output: launched.output };
  } finally {
    clearTimeout(timer);
  }
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

type Caller = (
  method: string,
  url: string,
  token?: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Answer>;

/** JSON requests to a running program (Bearer `token` when given). */
function caller(base: string): Caller {
  return async (method, url, token, body, headers = {}) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json };
  };
}

describe('the docs hold code that is compiled', () => {
  it('keeps the README short enough to read top to bottom', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(251); // 250 lines and the final newline
  });

  it('has its programs: the README service on four frameworks, the docs apps', () => {
    const ids = programs.map((program) => program.id);
    for (const name of ['express', 'fastify', 'nest', 'http']) {
      expect(ids).toContain(`README.md ${name}`);
    }
    expect(ids).toEqual(expect.arrayContaining(Object.keys(services)));
  });

  it('writes code only in blocks it compiles (```ts), never in ```typescript, ```js, …', () => {
    const hidden = documents.flatMap(({ file, markdown }) =>
      fencedBlocks(markdown)
        .filter((block) => /^(typescript|tsx?|jsx?|javascript|mjs|cjs)$/.test(block.lang))
        .filter((block) => block.lang !== 'ts')
        .map((block) => `${file}:${block.line} (${block.lang})`),
    );
    expect(hidden).toEqual([]);
  });

  it('runs every program that listens', () => {
    const listening = programs.filter((program) => /\.listen\(/.test(program.source));
    expect(listening.map((program) => program.id).sort()).toEqual(Object.keys(services).sort());
  });

  it('links only to files and headings that exist', () => {
    const broken = documents.flatMap(({ file, markdown }) =>
      [...markdown.matchAll(/\]\(((?!https?:)[^)#\s]*)(?:#([^)\s]+))?\)/g)].flatMap((m) => {
        const target = m[1] === '' ? file : path.join(path.dirname(file), m[1]!);
        if (!fs.existsSync(path.join(root, target))) return [`${file}: ${m[0]}`];
        if (m[2] === undefined || !target.endsWith('.md')) return [];
        const linked = fs.readFileSync(path.join(root, target), 'utf8');
        return headingSlugs(linked).includes(m[2]) ? [] : [`${file}: ${m[0]}`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it.each(programs.map((program) => [program.id, program] as const))(
    '%s compiles under strict and exactOptionalPropertyTypes',
    (_id, program) => {
      expect(compile(program)).toEqual([]);
    },
    60_000,
  );

  it.each(drifts)(
    '%s fails to compile once it drifts from the code (the check can fail)',
    (id, from, to) => {
      const program = programNamed(id);
      const drifted = program.source.replace(from, to);
      expect(drifted).not.toBe(program.source);
      expect(compile({ ...program, id: `${id} drifted` }, drifted).length).toBeGreaterThan(0);
    },
    60_000,
  );
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingSlugs(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-'),
  );
}

interface Service {
  env?: Record<string, string>;
  /** Programs run before it (`--import`), as an app registers its OpenTelemetry SDK. */
  preload?: string[];
  drive(call: Caller, running: RunningProgram): Promise<void>;
}

const credentials = { email: 'user@example.com', password: 'demo-password' };
const userId = '3f1c1f8e-8a55-4c39-9f0e-2b7f8d5e9a10';

/** Logs in, checks the refusals and a role, lists sessions, refreshes, logs out. */
async function driveFlows(call: Caller): Promise<{ access: string; refresh: string }> {
  const wrong = await call('POST', '/auth/login', undefined, { ...credentials, password: 'x' });
  expect([wrong.status, wrong.body.msg]).toEqual([400, 'Incorrect email or password']);
  const form = await call('POST', '/auth/login', undefined, JSON.stringify(credentials), {
    'content-type': 'text/plain',
  });
  expect(form.status).toBe(415);
  const login = await call('POST', '/auth/login', undefined, credentials);
  expect(login.status).toBe(200);
  const { access_token: access, refresh_token: refresh, session_id: sessionId } = login.body;
  expect((await call('GET', '/me', access)).body.email).toBe('user@example.com');
  const none = await call('GET', '/me');
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  expect(none.body).toMatchObject({ success: false, msg: 'Access token missing' });
  // A forged token: the one policy (with the metrics hooks) sees it.
  expect((await call('GET', '/me', `${access}x`)).status).toBe(401);
  const low = await call('GET', '/admin', access);
  expect(low.status).toBe(403);
  expect(low.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  const sessions = await call('GET', '/auth/sessions', access);
  expect(sessions.body).toEqual([expect.objectContaining({ id: sessionId, current: true })]);
  const next = await call('POST', '/auth/refresh', undefined, { refresh_token: refresh });
  expect(next.status).toBe(200);
  expect(next.headers.get('cache-control')).toBe('no-store');
  const out = await call('POST', '/auth/logout', next.body.access_token, {
    refresh_token: next.body.refresh_token,
  });
  expect(out.status).toBe(200);
  const revoked = await call('GET', '/me', next.body.access_token);
  expect([revoked.status, revoked.body.msg]).toEqual([401, 'Token revoked']);
  return { access, refresh };
}

const services: Record<string, Service> = {
  'README.md express': {
    // The observability page's SDK, registered first: spans on stdout.
    env: { OTEL_TRACES_EXPORTER: 'console' },
    preload: ['docs/observability.md tracing'],
    async drive(call, running) {
      const { access, refresh } = await driveFlows(call);
      const login = await call('POST', '/auth/login', undefined, credentials);
      const viaPassport = await call('GET', '/passport/me', login.body.access_token);
      expect([viaPassport.status, viaPassport.body.email]).toEqual([200, 'user@example.com']);
      const scraped = await call('GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.body).toMatch(/auth_login_attempts_total\{result="success"\} 2/);
      expect(scraped.body).toMatch(/auth_login_attempts_total\{result="wrong_credentials"\} 1/);
      // Authentication feeds the same metrics (one policy, not one per snippet).
      expect(scraped.body).toMatch(/auth_token_validation_failures_total\{reason="invalid"\} 1/);
      expect(scraped.body).toMatch(/auth_token_refresh_total\{result="success"\} 1/);
      expect((await call('GET', '/.well-known/jwks.json')).status).toBe(200);
      // The tracing SDK printed the package's spans, and nothing secret.
      const output = running.output();
      expect(output).toMatch(/name: 'auth\.login'[\s\S]*'auth\.login\.result': 'success'/);
      expect(output).toMatch(/name: 'auth\.refresh'[\s\S]*'auth\.refresh\.rotation': 'rotated'/);
      expect(output).toMatch(/name: 'isRevoked'[\s\S]*'db\.system\.name': 'memory'/);
      for (const secret of ['demo-password', access, refresh]) {
        expect(output).not.toContain(secret);
      }
    },
  },
  'README.md fastify': {
    async drive(call) {
      await driveFlows(call);
      expect((await call('GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] });
    },
  },
  'README.md nest': {
    async drive(call) {
      expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
      await driveFlows(call);
    },
  },
  'docs/flows.md browser': {
    env: { BACKEND_CORS_ORIGINS: 'https://app.example.com' },
    async drive(call) {
      const ours = { origin: 'https://app.example.com' };
      const foreign = { origin: 'https://evil.example' };
      const refused = await call('POST', '/auth/login', undefined, credentials, foreign);
      expect(refused.status).toBe(403);
      const login = await call('POST', '/auth/login', undefined, credentials, ours);
      expect(login.status).toBe(200);
      expect(login.body.refresh_token).toBeUndefined(); // never readable by page scripts
      const [setCookie] = login.headers.getSetCookie();
      expect(setCookie).toMatch(/^refresh_token=[^;]+; Max-Age=\d+; Path=\/auth\/refresh; /);
      expect(setCookie).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
      const cookie = setCookie!.split(';')[0]!;
      const crossSite = await call('POST', '/auth/refresh', undefined, undefined, {
        ...foreign,
        cookie,
      });
      expect(crossSite.status).toBe(403);
      const refreshed = await call('POST', '/auth/refresh', undefined, undefined, {
        ...ours,
        cookie,
      });
      expect(refreshed.status).toBe(200);
      const next = refreshed.headers.getSetCookie()[0]!.split(';')[0]!;
      expect(next).not.toBe(cookie);
      const access = refreshed.body.access_token;
      expect((await call('POST', '/account/password', access)).body).toEqual({ changed: true });
      // An administrator ends the user's sessions: its tokens stop working at once.
      const admin = await call(
        'POST',
        '/auth/login',
        undefined,
        {
          email: 'admin@example.com',
          password: 'demo-password',
        },
        ours,
      );
      const byUser = await call('POST', `/admin/users/${userId}/end-sessions`, access);
      expect(byUser.status).toBe(403);
      const ended = await call(
        'POST',
        `/admin/users/${userId}/end-sessions`,
        admin.body.access_token,
      );
      expect(ended.body).toEqual({ ended: 1 });
      const after = await call('POST', '/auth/refresh', undefined, undefined, {
        ...ours,
        cookie: next,
      });
      expect(after.status).toBe(401);
      expect((await call('POST', '/account/password', access)).body.msg).toBe('Token revoked');
    },
  },
  'docs/frameworks.md fastify': {
    async drive(call) {
      await driveFlows(call);
      expect((await call('GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] });
    },
  },
  'docs/frameworks.md nest': {
    async drive(call) {
      expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
      const missing = await call('GET', '/me');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(missing.body).toMatchObject({ success: false, msg: 'Access token missing' });
      const admin = { email: 'admin@example.com', password: 'demo-password' };
      const asText = await call('POST', '/auth/login', undefined, admin, {
        'content-type': 'text/plain',
      });
      expect(asText.status).toBe(415);
      const login = await call('POST', '/auth/login', undefined, admin);
      expect(login.status).toBe(200);
      const { access_token: access, refresh_token: refresh } = login.body;
      expect((await call('GET', '/me', access)).body).toMatchObject({ email: 'admin@example.com' });
      expect((await call('GET', '/admin', access)).body).toEqual({ hello: 'admin@example.com' });
      expect((await call('POST', '/password', access)).status).toBe(201); // a login just now
      expect((await call('GET', '/passport/me', access)).body).toEqual({
        id: '6b0d1c9e-3c55-4f0b-9a43-6f5b1d2e7c81',
        email: 'admin@example.com',
      });
      const sessions = await call('GET', '/auth/sessions', access);
      expect(sessions.body).toEqual([expect.objectContaining({ current: true })]);
      const next = await call('POST', '/auth/refresh', undefined, { refresh_token: refresh });
      expect(next.status).toBe(200);
      expect(next.headers.get('cache-control')).toBe('no-store');
      const out = await call('POST', '/auth/logout', next.body.access_token);
      expect(out.status).toBe(200);
      const revoked = await call('GET', '/me', next.body.access_token);
      expect([revoked.status, revoked.body.msg]).toEqual([401, 'Token revoked']);
      // Through @nestjs/passport: the package's 401, challenge and body, not Nest's bare one.
      const viaPassport = await call('GET', '/passport/me', next.body.access_token);
      expect(viaPassport.status).toBe(401);
      expect(viaPassport.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(viaPassport.body).toMatchObject({ success: false, msg: 'Token revoked' });
    },
  },
  'README.md http': {
    async drive(call) {
      await driveFlows(call);
      const unknown = await call('GET', '/nowhere');
      expect(unknown.status).toBe(401); // every other route needs a token
    },
  },
};

/**
 * Every service starts before the first test, side by side (each takes a while to load its
 * sources), while the programs compile; each service's tests wait for its start line.
 */
const launched = new Map<string, LaunchedProgram>();

beforeAll(() => {
  for (const [id, service] of Object.entries(services)) {
    const preload = (service.preload ?? []).map((name) => writeProgram(programNamed(name)));
    launched.set(id, launchProgram(runnableFile(programNamed(id)), service.env, preload));
  }
});

afterAll(() => {
  for (const { child } of launched.values()) child.kill('SIGTERM');
});

describe.each(Object.entries(services))('%s runs as a service over real HTTP', (id, service) => {
  let running: RunningProgram;

  beforeAll(async () => {
    running = await startedProgram(launched.get(id)!);
  }, 90_000);

  afterAll(() => {
    running?.child.kill('SIGTERM');
  });

  it('answers as its text says', async () => {
    await service.drive(caller(running.base), running);
  }, 30_000);
});
