/**
 * The README is tested code: its ```ts blocks, in order, form one program (a service); the
 * blocks of another framework's section, tagged ```ts <name> (```ts fastify, ```ts nest), form
 * another.
 * Each is compiled against the package's sources (package names mapped as in tsconfig.json)
 * with the settings `tsc --init` generates (`strict`, `exactOptionalPropertyTypes`), then run
 * as a real server and driven over HTTP through the flows it describes. A README that drifts
 * from the code fails here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const workDir = path.join(root, 'test/package/.work');
const appFile = path.join(workDir, 'readme-app.ts');
const fastifyFile = path.join(workDir, 'readme-fastify.ts');

/** The ```ts blocks of a Markdown text, in order: untagged ones, or those tagged `program`. */
export function tsBlocks(markdown: string, program = ''): string[] {
  return [...markdown.matchAll(/^```ts(?: ([\w-]+))?\n([\s\S]*?)^```$/gm)]
    .filter((m) => (m[1] ?? '') === program)
    .map((m) => m[2]!);
}

function compilerOptions(): ts.CompilerOptions {
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
    paths: Object.fromEntries(
      Object.entries(rootOptions.paths).map(([name, [target]]) => [
        name,
        [path.join(root, target!)],
      ]),
    ),
  };
}

/** Diagnostics of the program the README's blocks form (empty when it compiles). */
function compile(markdown: string, file: string, tag = ''): string[] {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${tsBlocks(markdown, tag).join('\n')}\nexport {};\n`);
  const program = ts.createProgram([file], compilerOptions());
  const source = program.getSourceFile(file)!;
  return [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ].map(
    (d) =>
      `README block line ${source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
  );
}

interface RunningProgram {
  child: ChildProcess;
  base: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/** Runs a compiled README program as a server (test keys, PORT 0) until its start line. */
async function startProgram(
  file: string,
  env: Record<string, string> = {},
): Promise<RunningProgram> {
  let output = '';
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [file], {
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
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${output}`)), 30_000);
    const check = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  return { child, base, output: () => output };
}

type Caller = (
  method: string,
  url: string,
  token?: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; headers: Headers; body: any }>;

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

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README code', () => {
  it('has its usage blocks', () => {
    expect(tsBlocks(readme).length).toBeGreaterThanOrEqual(5);
  });

  it('compiles as one program under strict and exactOptionalPropertyTypes', () => {
    expect(compile(readme, appFile)).toEqual([]);
  }, 60_000);

  it('fails to compile when a snippet drifts from the code (the check can fail)', () => {
    const drifted = readme.replace('authRoutes({', 'authRoutes({ prefixes: 1,');
    expect(drifted).not.toBe(readme);
    expect(compile(drifted, path.join(workDir, 'readme-drifted.ts')).length).toBeGreaterThan(0);
  }, 60_000);

  describe('runs as a service over real HTTP', () => {
    let running: RunningProgram;
    let call: Caller;

    beforeAll(async () => {
      compile(readme, appFile);
      // The Tracing section's SDK: spans on stdout.
      running = await startProgram(appFile, { OTEL_TRACES_EXPORTER: 'console' });
      call = caller(running.base);
    }, 40_000);

    afterAll(() => {
      running?.child.kill('SIGTERM');
    });

    it('logs in, authenticates, lists sessions, refreshes, logs out, exports metrics', async () => {
      const wrong = await call('POST', '/auth/login', undefined, {
        email: 'user@example.com',
        password: 'nope',
      });
      expect(wrong.status).toBe(400);
      const login = await call('POST', '/auth/login', undefined, {
        email: 'user@example.com',
        password: 'demo-password',
      });
      expect(login.status).toBe(200);
      const { access_token: access, refresh_token: refresh, session_id: sessionId } = login.body;
      expect((await call('GET', '/me', access)).body.email).toBe('user@example.com');
      // A forged token: the one policy (with the metrics hooks) sees it.
      expect((await call('GET', '/me', `${access}x`)).status).toBe(401);
      expect((await call('GET', '/admin', access)).status).toBe(403);
      expect((await call('GET', '/passport/me', access)).status).toBe(200);
      const sessions = await call('GET', '/auth/sessions', access);
      expect(sessions.body).toEqual([expect.objectContaining({ id: sessionId, current: true })]);
      const next = await call('POST', '/auth/refresh', undefined, { refresh_token: refresh });
      expect(next.status).toBe(200);
      const out = await call('POST', '/auth/logout', next.body.access_token, {
        refresh_token: next.body.refresh_token,
      });
      expect(out.status).toBe(200);
      expect((await call('GET', '/me', next.body.access_token)).status).toBe(401);
      const scraped = await call('GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.body).toMatch(/auth_login_attempts_total\{result="success"\} 1/);
      expect(scraped.body).toMatch(/auth_login_attempts_total\{result="wrong_credentials"\} 1/);
      // Authentication feeds the same metrics (one policy, not one per snippet).
      expect(scraped.body).toMatch(/auth_token_validation_failures_total\{reason="invalid"\} 1/);
      expect(scraped.body).toMatch(/auth_token_refresh_total\{result="success"\} 1/);
      expect((await call('GET', '/.well-known/jwks.json')).status).toBe(200);
      // The Tracing section's exporter printed the package's spans, and nothing secret.
      const output = running.output();
      expect(output).toMatch(/name: 'auth\.login'[\s\S]*'auth\.login\.result': 'success'/);
      expect(output).toMatch(/name: 'auth\.refresh'[\s\S]*'auth\.refresh\.rotation': 'rotated'/);
      expect(output).toMatch(/name: 'isRevoked'[\s\S]*'db\.system\.name': 'memory'/);
      for (const secret of ['demo-password', access, refresh, next.body.refresh_token]) {
        expect(output).not.toContain(secret);
      }
    });
  });
});

describe('README code, Fastify section (```ts fastify)', () => {
  it('has its blocks', () => {
    expect(tsBlocks(readme, 'fastify').length).toBeGreaterThanOrEqual(2);
  });

  it('compiles as one program under strict and exactOptionalPropertyTypes', () => {
    expect(compile(readme, fastifyFile, 'fastify')).toEqual([]);
  }, 60_000);

  it('fails to compile when a snippet drifts from the code (the check can fail)', () => {
    const drifted = readme.replace('app.requireRole(', 'app.requireRoles(');
    expect(drifted).not.toBe(readme);
    const file = path.join(workDir, 'readme-fastify-drifted.ts');
    expect(compile(drifted, file, 'fastify').length).toBeGreaterThan(0);
  }, 60_000);

  describe('runs as a service over real HTTP', () => {
    let running: RunningProgram;
    let call: Caller;

    beforeAll(async () => {
      compile(readme, fastifyFile, 'fastify');
      running = await startProgram(fastifyFile);
      call = caller(running.base);
    }, 40_000);

    afterAll(() => {
      running?.child.kill('SIGTERM');
    });

    it('logs in, authenticates, requires a role, refreshes, logs out, with the Python errors', async () => {
      const credentials = { email: 'user@example.com', password: 'demo-password' };
      const wrong = await call('POST', '/auth/login', undefined, { ...credentials, password: 'x' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.msg).toBe('Incorrect email or password');
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
      const low = await call('GET', '/admin', access);
      expect(low.status).toBe(403);
      expect(low.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      const sessions = await call('GET', '/auth/sessions', access);
      expect(sessions.body).toEqual([expect.objectContaining({ id: sessionId, current: true })]);
      const next = await call('POST', '/auth/refresh', undefined, { refresh_token: refresh });
      expect(next.status).toBe(200);
      const out = await call('POST', '/auth/logout', next.body.access_token, {
        refresh_token: next.body.refresh_token,
      });
      expect(out.status).toBe(200);
      const revoked = await call('GET', '/me', next.body.access_token);
      expect([revoked.status, revoked.body.msg]).toEqual([401, 'Token revoked']);
      expect((await call('GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] });
    });
  });
});

/**
 * The NestJS section (```ts nest): one Nest app, compiled as Nest apps compile
 * (`experimentalDecorators`, `emitDecoratorMetadata`, `strict`), emitted with the decorator
 * metadata Nest injects by (tsx, which runs the other programs, emits none), and run.
 */
describe('README code, NestJS section (```ts nest)', () => {
  const nestFile = path.join(workDir, 'readme-nest.ts');
  const nestOptions = (): ts.CompilerOptions => ({
    ...compilerOptions(),
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  });
  const compileNest = (markdown: string, file: string): string[] => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${tsBlocks(markdown, 'nest').join('\n')}\n`);
    const program = ts.createProgram([file], nestOptions());
    const source = program.getSourceFile(file)!;
    return [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ].map(
      (d) =>
        `README nest block line ${source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  };

  it('has its blocks', () => {
    expect(tsBlocks(readme, 'nest').length).toBeGreaterThanOrEqual(4);
  });

  it('compiles as one Nest app under strict, with decorators and their metadata', () => {
    expect(compileNest(readme, nestFile)).toEqual([]);
  }, 60_000);

  it('fails to compile when a snippet drifts from the code (the check can fail)', () => {
    const drifted = readme.replace("routes: { prefix: 'auth' },", "routes: { prefixes: 'auth' },");
    expect(drifted).not.toBe(readme);
    expect(
      compileNest(drifted, path.join(workDir, 'readme-nest-drifted.ts')).length,
    ).toBeGreaterThan(0);
  }, 60_000);

  describe('runs as a Nest app over real HTTP', () => {
    let running: RunningProgram;
    let call: Caller;

    beforeAll(async () => {
      compileNest(readme, nestFile);
      const js = ts.transpileModule(fs.readFileSync(nestFile, 'utf8'), {
        compilerOptions: { ...nestOptions(), module: ts.ModuleKind.ESNext, paths: undefined },
      }).outputText;
      const jsFile = nestFile.replace(/\.ts$/, '.mjs');
      fs.writeFileSync(jsFile, js);
      running = await startProgram(jsFile);
      call = caller(running.base);
    }, 60_000);

    afterAll(() => {
      running?.child.kill('SIGTERM');
    });

    it('guards routes, logs in, runs validate(), refreshes, logs out, answers the Python body', async () => {
      expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
      const missing = await call('GET', '/me');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(missing.body).toMatchObject({ success: false, msg: 'Access token missing' });
      const credentials = { email: 'admin@example.com', password: 'demo-password' };
      const asText = await call('POST', '/auth/login', undefined, credentials, {
        'content-type': 'text/plain',
      });
      expect(asText.status).toBe(415);
      const login = await call('POST', '/auth/login', undefined, credentials);
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
      expect(revoked.status).toBe(401);
      expect(revoked.body.msg).toBe('Token revoked');
      // Through @nestjs/passport: the package's 401, challenge and body, not Nest's bare one.
      const viaPassport = await call('GET', '/passport/me', next.body.access_token);
      expect(viaPassport.status).toBe(401);
      expect(viaPassport.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(viaPassport.body).toMatchObject({ success: false, msg: 'Token revoked' });
    });
  });
});
