/**
 * The README is tested code: its ```ts blocks, in order, form one program (a service). It is
 * compiled against the package's sources (package names mapped as in tsconfig.json) with the
 * settings `tsc --init` generates (`strict`, `exactOptionalPropertyTypes`), then run as a
 * real server and driven over HTTP through the flows it describes. A README that drifts from
 * the code fails here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const workDir = path.join(root, 'test/package/.work');
const appFile = path.join(workDir, 'readme-app.ts');

/** The ```ts blocks of a Markdown text, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
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
function compile(markdown: string, file: string): string[] {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${tsBlocks(markdown).join('\n')}\nexport {};\n`);
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
    let child: ChildProcess;
    let base: string;
    let output = '';

    beforeAll(async () => {
      compile(readme, appFile);
      child = spawn(path.join(root, 'node_modules/.bin/tsx'), [appFile], {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ACCESS_TOKEN_ALGORITHM: 'HS256',
          ACCESS_SECRET_KEY: 'Readme-Access_Key-0123456789-ABCDEFGH',
          REFRESH_SECRET_KEY: 'Readme-Refresh_Key-0123456789-ABCDEFGH',
          TOKEN_MODE: 'stateful',
          METRICS_ENABLED: 'true',
          OTEL_TRACES_EXPORTER: 'console', // the Tracing section's SDK: spans on stdout
          PORT: '0',
          HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no start within 30 s:\n${output}`)),
          30_000,
        );
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
    }, 40_000);

    afterAll(() => {
      child?.kill('SIGTERM');
    });

    const call = async (method: string, url: string, token?: string, body?: unknown) => {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, body: json };
    };

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
      expect(output).toMatch(/name: 'auth\.login'[\s\S]*'auth\.login\.result': 'success'/);
      expect(output).toMatch(/name: 'auth\.refresh'[\s\S]*'auth\.refresh\.rotation': 'rotated'/);
      expect(output).toMatch(/name: 'isRevoked'[\s\S]*'db\.system\.name': 'memory'/);
      for (const secret of ['demo-password', access, refresh, next.body.refresh_token]) {
        expect(output).not.toContain(secret);
      }
    });
  });
});
