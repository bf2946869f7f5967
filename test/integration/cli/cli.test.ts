/** The CLI as operators run it: a real child process in a scratch folder. */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'lib/cli/index.ts');

function run(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { code: number | null; out: string; err: string } {
  const result = spawnSync(tsx, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('npx auth-sdk-m8', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keygen writes a P-256 pair with safe modes and prints kid, JWKS and env lines', () => {
    const { code, out } = run(['keygen', '--alg', 'ES256', '--out', 'keys'], dir);
    expect(code).toBe(0);
    const priv = path.join(dir, 'keys/private.pem');
    expect(fs.statSync(priv).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'keys/public.pem')).mode & 0o777).toBe(0o644);
    const pub = createPublicKey(fs.readFileSync(priv));
    expect(pub.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const kid = /kid: (\S+)/.exec(out)?.[1];
    expect(out).toContain(`"kid": "${kid}"`);
    expect(out).not.toContain('"d"');
    expect(out).toContain(`ACCESS_KEY_ID=${kid}`);
    // Refuses to overwrite without --force.
    const again = run(['keygen', '--alg', 'ES256', '--out', 'keys'], dir);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--force/);
  });

  it('check-config passes a valid setup and fails (exit 1) on a fatal finding, in plain words', () => {
    run(['keygen', '--alg', 'RS256', '--bits', '2048', '--out', 'rsa'], dir);
    const ok = run(['check-config'], dir, {
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      ACCESS_PRIVATE_KEY_FILE: path.join(dir, 'rsa/private.pem'),
      TOKEN_MODE: 'stateless',
    });
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const consumer = run(['check-config'], dir, {
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      ACCESS_PRIVATE_KEY_FILE: path.join(dir, 'rsa/private.pem'),
      AUTH_SERVICE_ROLE: 'consumer',
      TOKEN_MODE: 'stateless',
    });
    expect(consumer.code).toBe(1);
    expect(consumer.err).toContain(
      'FATAL: CONFIG: AUTH_SERVICE_ROLE=consumer services must not hold a signing private key',
    );
    expect(consumer.err).not.toMatch(/\bat \S+ \(/); // no stack trace
  });

  it('check-config reads --env-file and reports invalid settings by name', () => {
    const envFile = path.join(dir, 'bad.env');
    fs.writeFileSync(envFile, 'ACCESS_SECRET_KEY=changethis\nTOKEN_MODE=stateless\n');
    const { code, err } = run(['check-config', '--env-file', envFile], dir);
    expect(code).toBe(1);
    expect(err).toContain("Insecure default value for 'ACCESS_SECRET_KEY'");
  });

  it('answers --help and rejects unknown commands and flags with exit 2', () => {
    expect(run(['keygen', '--help'], dir)).toMatchObject({ code: 0 });
    expect(run(['check-config', '--help'], dir).out).toMatch(/--env-file/);
    expect(run(['frobnicate'], dir)).toMatchObject({ code: 2 });
    expect(run(['keygen', '--alg', 'HS256', '--out', 'x'], dir).code).toBe(2);
    expect(run(['check-config', '--nope'], dir).code).toBe(2);
  });
});
