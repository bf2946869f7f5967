/**
 * A private PostgreSQL server for tests that crash, freeze or flood the database (never the
 * machine's shared one): `initdb` into a temporary directory, `postgres` on a free port of
 * 127.0.0.1, trust authentication, one database created. As root the binaries run as the
 * `postgres` account (initdb refuses root). The same port and data survive restarts; the
 * directory is removed by `destroy()` (call it in afterAll) or at process exit.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { accountIds, executable, onPath, ProcessGroupServer } from './private-server';
import { freePort } from './redis-server';

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** initdb and postgres of the machine: $PG_BIN, else the newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBinaries(): PostgresBinaries | undefined {
  const dirs: string[] = [];
  if (process.env.PG_BIN) dirs.push(process.env.PG_BIN);
  try {
    const versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(path.join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // no Debian-style layout
  }
  for (const dir of dirs) {
    const initdb = executable(path.join(dir, 'initdb'));
    const postgres = executable(path.join(dir, 'postgres'));
    if (initdb && postgres) return { initdb, postgres };
  }
  const initdb = onPath('initdb');
  const postgres = onPath('postgres');
  return initdb && postgres ? { initdb, postgres } : undefined;
}

/** Why a private PostgreSQL cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!findPostgresBinaries()) return 'PostgreSQL binaries (initdb, postgres) not found';
  if (process.getuid?.() === 0 && (!accountIds('postgres') || !onPath('setpriv'))) {
    return 'running as root but there is no postgres account (or no setpriv) to run PostgreSQL as';
  }
  return undefined;
}

export interface PrivatePostgresOptions {
  /** The server's max_connections (superuser_reserved_connections is 0). Default 20. */
  maxConnections?: number;
  /** The database created for the test. Default `test`. */
  database?: string;
}

export class PrivatePostgres extends ProcessGroupServer {
  readonly user = 'postgres';
  readonly database: string;
  readonly maxConnections: number;
  protected readonly shutdownSignal = 'SIGINT'; // "fast" shutdown
  readonly #bin: PostgresBinaries;
  readonly #runAs: string[];

  private constructor(port: number, bin: PostgresBinaries, options: PrivatePostgresOptions) {
    super(port, 'private-postgres');
    this.#bin = bin;
    this.database = options.database ?? 'test';
    this.maxConnections = options.maxConnections ?? 20;
    const ids = process.getuid?.() === 0 ? accountIds('postgres') : undefined;
    if (ids) {
      fs.chownSync(this.dir, ids.uid, ids.gid);
      this.#runAs = ['setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups'];
    } else {
      this.#runAs = [];
    }
  }

  /** initdb, start, CREATE DATABASE; throws (after cleaning up) when any step fails. */
  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const bin = findPostgresBinaries();
    if (!bin) throw new Error('PostgreSQL binaries (initdb, postgres) not found');
    const server = new PrivatePostgres(await freePort(), bin, options);
    try {
      server.#initdb();
      await server.start();
      const admin = new pg.Client({ ...server.connection(), database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${server.database}"`);
      } finally {
        await admin.end();
      }
      return server;
    } catch (err) {
      await server.destroy();
      throw err;
    }
  }

  #initdb(): void {
    const [runner, ...runnerArgs] = [...this.#runAs, this.#bin.initdb];
    const result = spawnSync(
      runner!,
      [
        ...runnerArgs,
        '-D',
        this.dataDir,
        '-U',
        this.user,
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-sync',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed (${result.status}): ${result.stderr}${result.stdout}`);
    }
  }

  protected command(): { file: string; args: string[] } {
    const [file, ...args] = [
      ...this.#runAs,
      this.#bin.postgres,
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `max_connections=${this.maxConnections}`,
      '-c',
      'superuser_reserved_connections=0',
      // Commits still reach the OS before they are acknowledged, so a killed server keeps
      // them; only a machine crash could lose them (not a case these tests make).
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'shared_buffers=16MB',
    ];
    return { file: file!, args };
  }

  protected async ready(): Promise<boolean> {
    const client = new pg.Client({
      ...this.connection(),
      database: 'postgres',
      connectionTimeoutMillis: 500,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
