import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../../lib/cli/index';

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[], cwd: string): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    cwd,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('check-config: the settings sources from the command line', () => {
  it('reads several --env-file, the later winning', () => {
    const fleet = path.join(dir, 'fleet.env');
    const service = path.join(dir, 'service.env');
    fs.writeFileSync(fleet, `ACCESS_SECRET_KEY=${VALID_KEY}\nTOKEN_MODE=hybrid\n`);
    fs.writeFileSync(service, 'TOKEN_MODE=stateless\n');
    const ok = run(['check-config', '--env-file', fleet, '--env-file', service], dir);
    expect(ok.out).toContain('TOKEN_MODE=stateless');
    expect(ok.code).toBe(0);
    const swapped = run(['check-config', '--env-file', service, '--env-file', fleet], dir);
    expect(swapped.code).toBe(1); // hybrid without a store is fatal
  });

  it('finds the nearest .env above the folder by default, and reads --secrets-dir', () => {
    const project = path.join(dir, 'project');
    const nested = path.join(project, 'src');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(project, '.env'), 'TOKEN_MODE=stateless\n');
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'ACCESS_SECRET_KEY'), VALID_KEY);
    expect(run(['check-config'], nested).err).toContain(
      'ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256',
    );
    const ok = run(['check-config', '--secrets-dir', secrets], nested);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('TOKEN_MODE=stateless');
  });
});
