/**
 * The CLI's commands, run in process through `runCli` with the io a child process would get
 * (its env, its cwd, stdout and stderr as text), and as operators run it: a real child
 * process (`tsx lib/cli/index.ts`, the script's own entry) for exit codes and the split
 * between stdout and stderr.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../lib/cli/index';
import { mysqlSchema } from '../../../stores/sql/mysql';
import { postgresSchema } from '../../../stores/sql/postgres';
import { SECRET_KEY_REGEX } from '../../../lib/core/secret-rule';

const root = path.resolve(__dirname, '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'lib/cli/index.ts');

type Run = { code: number | null; out: string; err: string };

/** The environment a child gets: PATH and HOME, then the test's variables. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

/** `auth-sdk-m8 ...args` as a real child process in `cwd`. */
function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = spawnSync(tsx, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: childEnv(env),
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/**
 * `auth-sdk-m8 ...args` in this process: the entry's io (one line, then `\n`), the child's
 * env and cwd. Whatever the commands write past the io (process.stdout/stderr, console) lands
 * in `out`/`err` too, as it would in a child's.
 */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  let out = '';
  let err = '';
  const toOut = (text: unknown): boolean => ((out += String(text)), true);
  const toErr = (text: unknown): boolean => ((err += String(text)), true);
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(toOut),
    jest.spyOn(process.stderr, 'write').mockImplementation(toErr),
    ...(['log', 'info', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...a: unknown[]) => toOut(`${a.join(' ')}\n`)),
    ),
    ...(['warn', 'error'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...a: unknown[]) => toErr(`${a.join(' ')}\n`)),
    ),
  ];
  try {
    const code = runCli(args, {
      out: (line) => toOut(`${line}\n`),
      err: (line) => toErr(`${line}\n`),
      env: childEnv(env),
      cwd,
    });
    return { code, out, err };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
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
    expect(run(['keygen', '--alg', 'HS512'], dir).code).toBe(2);
    expect(run(['keygen', '--alg', 'HS256', '--out', 'x'], dir).code).toBe(2);
    expect(run(['keygen', '--alg', 'ES256'], dir).code).toBe(2); // no --out
    expect(run(['check-config', '--nope'], dir).code).toBe(2);
  });

  it('a wrong command line exits 2 with the error then the usage on stderr, nothing on stdout (a child process)', () => {
    const unknown = spawnCli(['frobnicate'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    expect(unknown.err).toMatch(
      /^Error: Unknown command "frobnicate"\.\n\nUsage: auth-sdk-m8 <command> \[options\]\n/,
    );
    expect(unknown.err).toContain('  keygen ');
    expect(unknown.err).not.toMatch(/\bat \S+ \(/); // no stack trace
    // The in-process runs above see what the child prints.
    expect(run(['frobnicate'], dir)).toEqual(unknown);
  });
});

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';

/** The `KEY=value` lines printed under `heading`, up to the next blank line. */
function envBlock(out: string, heading: string): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  expect(start).toBeGreaterThanOrEqual(0);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    block.push(line);
  }
  return block;
}

function value(block: string[], name: string): string | undefined {
  return block.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
}

describe('npx auth-sdk-m8: settings sources, fixes, secrets, version', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check-config without --env-file reads the nearest .env above the folder', () => {
    const nested = path.join(dir, 'src/app');
    fs.mkdirSync(nested, { recursive: true });
    // Without a .env the secret is missing: the run below passes only by reading the file.
    expect(run(['check-config'], nested).code).toBe(1);
    fs.writeFileSync(
      path.join(dir, '.env'),
      `ACCESS_SECRET_KEY=${VALID_KEY}\nTOKEN_MODE=stateless\n`,
    );
    const ok = run(['check-config'], nested);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(
      'OK: settings are valid (HS256 (default), TOKEN_MODE=stateless, AUTH_SERVICE_ROLE=issuer (default), 0 warning(s)).\n',
    );
  });

  it('the stateful-store finding names the defaulted settings and every fix, and each fix works', () => {
    fs.writeFileSync(path.join(dir, '.env'), `ACCESS_SECRET_KEY=${VALID_KEY}\n`);
    const failed = run(['check-config'], dir);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain(
      'FATAL: CONFIG: TOKEN_MODE=stateful requires Redis for token revocation but REDIS_HOST or REDIS_PASSWORD is not configured — refresh token rotation and blacklisting are disabled',
    );
    expect(failed.err).toContain(
      'Read: TOKEN_MODE=stateful (default), AUTH_SERVICE_ROLE=issuer (default), REDIS_HOST not set, REDIS_PASSWORD not set.',
    );
    expect(failed.err).toContain('check-config --has-store');
    expect(failed.err).toContain('tokens need no revocation: TOKEN_MODE=stateless');
    expect(failed.err).toContain(
      'revocation in Redis: REDIS_HOST=<host> REDIS_PASSWORD=<password>',
    );
    expect(failed.err).toContain(
      'a consumer (it only validates tokens): AUTH_SERVICE_ROLE=consumer TOKEN_MODE=stateless',
    );
    // Each advertised fix, typed in a shell, passes.
    expect(run(['check-config', '--has-store'], dir).code).toBe(0);
    expect(run(['check-config'], dir, { TOKEN_MODE: 'stateless' }).code).toBe(0);
    expect(
      run(['check-config'], dir, { REDIS_HOST: 'redis', REDIS_PASSWORD: 'Sup3r$ecretPassw0rd' })
        .code,
    ).toBe(0);
    const consumer = run(['check-config'], dir, {
      AUTH_SERVICE_ROLE: 'consumer',
      TOKEN_MODE: 'stateless',
    });
    expect(consumer.code).toBe(0);
    expect(consumer.out).toContain('AUTH_SERVICE_ROLE=consumer,');
    // Set explicitly: no "(default)", and no consumer hint for a declared consumer.
    const hybrid = run(['check-config'], dir, {
      TOKEN_MODE: 'hybrid',
      AUTH_SERVICE_ROLE: 'consumer',
    });
    expect(hybrid.err).toContain('Read: TOKEN_MODE=hybrid, AUTH_SERVICE_ROLE=consumer, ');
    expect(hybrid.err).not.toContain('(default)');
    expect(hybrid.err).not.toContain('a consumer (it only validates tokens)');
  });

  it('states the secret rule when a secret breaks it', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'ACCESS_SECRET_KEY=tooshort\nTOKEN_MODE=stateless\n');
    const { code, err } = run(['check-config'], dir);
    expect(code).toBe(1);
    expect(err).toContain(
      '  - ACCESS_SECRET_KEY must be a valid secret key: at least 32 characters of A-Z a-z 0-9 - _ with a lower-case letter, an upper-case letter, a digit and a - or _.',
    );
  });

  it('keygen --alg HS256 prints rule-abiding secrets and issuer/consumer .env lines that check-config accepts', () => {
    const { code, out, err } = run(['keygen', '--alg', 'HS256'], dir);
    expect(err).toBe('');
    expect(code).toBe(0);
    const issuer = envBlock(out, 'Issuer .env');
    const consumer = envBlock(out, 'Consumer .env');
    const access = value(issuer, 'ACCESS_SECRET_KEY');
    const refresh = value(issuer, 'REFRESH_SECRET_KEY');
    expect(access).toMatch(SECRET_KEY_REGEX);
    expect(refresh).toMatch(SECRET_KEY_REGEX);
    expect(access).toHaveLength(48);
    expect(refresh).not.toBe(access);
    expect(value(issuer, 'AUTH_SERVICE_ROLE')).toBe('issuer');
    expect(value(consumer, 'ACCESS_SECRET_KEY')).toBe(access);
    expect(value(consumer, 'AUTH_SERVICE_ROLE')).toBe('consumer');
    expect(value(consumer, 'REFRESH_SECRET_KEY')).toBeUndefined();
    for (const [name, block] of [
      ['issuer', issuer],
      ['consumer', consumer],
    ] as const) {
      const service = path.join(dir, name);
      fs.mkdirSync(service);
      fs.writeFileSync(path.join(service, '.env'), `${block.join('\n')}\nTOKEN_MODE=stateless\n`);
      const checked = run(['check-config'], service);
      expect(checked.err).toBe('');
      expect(checked.out).toContain(`AUTH_SERVICE_ROLE=${name},`);
      expect(checked.code).toBe(0);
    }
  });

  it.each(['ES256', 'RS256'])(
    'keygen --alg %s prints issuer and consumer .env lines that check-config accepts',
    (alg) => {
      const args = ['keygen', '--alg', alg, '--out', 'keys'];
      const { code, out } = run(alg === 'RS256' ? [...args, '--bits', '2048'] : args, dir);
      expect(code).toBe(0);
      const issuer = envBlock(out, 'Issuer .env');
      const consumer = envBlock(out, 'Consumer .env');
      expect(value(issuer, 'ACCESS_PRIVATE_KEY_FILE')).toBe(path.join(dir, 'keys/private.pem'));
      expect(value(issuer, 'REFRESH_SECRET_KEY')).toMatch(SECRET_KEY_REGEX);
      expect(value(consumer, 'AUTH_SERVICE_ROLE')).toBe('consumer');
      expect(value(consumer, 'ACCESS_PUBLIC_KEY_FILE')).toBe(path.join(dir, 'keys/public.pem'));
      expect(value(consumer, 'ACCESS_PRIVATE_KEY_FILE')).toBeUndefined();
      expect(consumer.join('\n')).toContain('JWKS_URI=https://<issuer host>/.well-known/jwks.json');
      for (const [name, block] of [
        ['issuer', issuer],
        ['consumer', consumer],
      ] as const) {
        const service = path.join(dir, name);
        fs.mkdirSync(service);
        fs.writeFileSync(path.join(service, '.env'), `${block.join('\n')}\nTOKEN_MODE=stateless\n`);
        const checked = run(['check-config'], service);
        expect(checked.err).toBe('');
        expect(checked.out).toContain(`(${alg}, TOKEN_MODE=stateless, AUTH_SERVICE_ROLE=${name},`);
        expect(checked.code).toBe(0);
      }
    },
  );

  it('--version prints the version of package.json (a child process: the script finds it from its own path)', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(spawnCli(['--version'], dir)).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('a missing .env file is one plain line and exit 1, without usage or stack (a child process)', () => {
    // Node 20 exits 9 itself on `--env-file MISSING`, even after the script name,
    // before the CLI runs; --dotenv is the same option without that trap.
    const missing = spawnCli(['check-config', '--dotenv', 'nope.env'], dir);
    expect(missing).toEqual({
      code: 1,
      out: '',
      err: `Error: --dotenv nope.env: no such file (${path.join(dir, 'nope.env')}).\n`,
    });
    fs.writeFileSync(
      path.join(dir, 'good.env'),
      `ACCESS_SECRET_KEY=${VALID_KEY}\nTOKEN_MODE=stateless\n`,
    );
    expect(run(['check-config', '--dotenv', 'good.env'], dir).code).toBe(0);
    // Where Node lets --env-file through (in process, as here), the same answer.
    const err: string[] = [];
    const code = runCli(['check-config', '--env-file', 'nope.env'], {
      out: () => undefined,
      err: (line) => err.push(line),
      env: {},
      cwd: dir,
    });
    expect({ code, err }).toEqual({
      code: 1,
      err: [`Error: --env-file nope.env: no such file (${path.join(dir, 'nope.env')}).`],
    });
  });
});

describe('npx auth-sdk-m8 migrate', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, cwd: root },
    };
  };

  it.each(['postgres', 'mysql'] as const)(
    'prints the statements migrate() runs for %s, with the table prefix',
    (store) => {
      const { out, io: cliIo } = io();
      expect(runCli(['migrate', '--store', store, '--table-prefix', 'dba_'], cliIo)).toBe(0);
      const sql = out.join('\n');
      const schema = (store === 'postgres' ? postgresSchema : mysqlSchema)('dba_');
      // Tables end with `;`, the MySQL procedure with the `//` delimiter the mysql client reads.
      for (const statement of schema) {
        const ended = [`${statement};`, `${statement}//`].filter((end) => sql.includes(end));
        expect(ended).toHaveLength(1);
      }
      expect(sql).toContain('dba_sessions');
    },
  );

  it('refuses an unknown store and a bad prefix with a plain error', () => {
    const unknown = io();
    expect(runCli(['migrate', '--store', 'oracle'], unknown.io)).toBe(2);
    expect(unknown.err[0]).toBe('Error: --store must be postgres or mysql.\n');
    const bad = io();
    expect(runCli(['migrate', '--store', 'mysql', '--table-prefix', 'x;drop'], bad.io)).toBe(1);
    expect(bad.err.join('\n')).toMatch(/tablePrefix/);
  });
});

describe('npx auth-sdk-m8: the command table', () => {
  const MAIN_USAGE = `Usage: auth-sdk-m8 <command> [options]

Commands:
  check-config   Validate the settings (env + .env) and run the start-up health checks
  keygen         Generate HS256 secrets, or an ES256/RS256 key pair and its JWKS, with .env lines
  migrate        Print the SQL that creates the tables of the PostgreSQL or MySQL stores

Run "auth-sdk-m8 <command> --help" for the options of a command, "auth-sdk-m8 --version" for the version.`;

  function call(args: string[]): { code: number; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(args, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
      cwd: root,
    });
    return { code, out, err };
  }

  it.each([['--help'], ['-h'], ['help']])(
    '%s lists every command with its one-line help',
    (flag) => {
      expect(call([flag])).toEqual({ code: 0, out: [MAIN_USAGE], err: [] });
    },
  );

  it('no command prints the same usage on stdout and exits 2', () => {
    expect(call([])).toEqual({ code: 2, out: [MAIN_USAGE], err: [] });
  });

  it.each([['--version'], ['-v'], ['version']])('%s prints the version', (flag) => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(call([flag])).toEqual({ code: 0, out: [version], err: [] });
  });

  it.each([['frobnicate'], ['--nope'], ['Keygen']])(
    'an unknown command %s is the error, then the command list, exit 2',
    (name) => {
      expect(call([name, '--help'])).toEqual({
        code: 2,
        out: [],
        err: [`Error: Unknown command "${name}".\n`, MAIN_USAGE],
      });
    },
  );

  describe.each(['check-config', 'keygen', 'migrate'])('%s', (name) => {
    it('--help and -h print its own usage, exit 0', () => {
      const help = call([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.err).toEqual([]);
      expect(help.out).toHaveLength(1);
      expect(help.out[0]).toMatch(new RegExp(`^Usage: auth-sdk-m8 ${name} `));
      expect(call([name, '-h'])).toEqual(help);
    });

    it('a wrong flag is the error, then its own usage (not the command list), exit 2', () => {
      const usage = call([name, '--help']).out[0];
      const wrong = call([name, '--nope']);
      expect(wrong.code).toBe(2);
      expect(wrong.out).toEqual([]);
      expect(wrong.err).toHaveLength(2);
      expect(wrong.err[0]).toMatch(/^Error: Unknown option '--nope'.*\n$/s);
      expect(wrong.err[1]).toBe(usage);
      expect(call([name, 'extra']).err[1]).toBe(usage);
    });
  });

  it("a command's own refusal shows that command's usage", () => {
    const keygenUsage = call(['keygen', '--help']).out[0];
    expect(call(['keygen', '--alg', 'HS512'])).toEqual({
      code: 2,
      out: [],
      err: ['Error: --alg must be HS256, ES256 or RS256.\n', keygenUsage],
    });
    const migrateUsage = call(['migrate', '--help']).out[0];
    expect(call(['migrate']).err).toEqual([
      'Error: --store must be postgres or mysql.\n',
      migrateUsage,
    ]);
  });
});
