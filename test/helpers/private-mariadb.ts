/**
 * A private MariaDB (or MySQL) server for tests that crash, freeze or flood the database
 * (never the machine's shared one): `mariadb-install-db` into a temporary directory, then
 * `mariadbd --no-defaults` on a free port of 127.0.0.1 with its socket and pid file in that
 * directory; root has no password; one database created. As root the server runs with
 * `--user=root` (no other account needed). The same port and data survive restarts; the
 * directory is removed by `destroy()` (call it in afterAll) or at process exit.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { executable, onPath, ProcessGroupServer } from './private-server';
import { freePort } from './redis-server';

interface MariadbBinaries {
  installDb: string;
  server: string;
}

/** The server and its install-db script: $MARIADB_BIN first, then PATH, /usr/sbin, /usr/bin. */
export function findMariadbBinaries(): MariadbBinaries | undefined {
  const find = (...names: string[]): string | undefined => {
    for (const name of names) {
      const dirs = [process.env.MARIADB_BIN, '/usr/sbin', '/usr/bin', '/usr/local/bin'];
      const found =
        onPath(name) ??
        executable(...dirs.filter((d): d is string => !!d).map((d) => path.join(d, name)));
      if (found) return found;
    }
    return undefined;
  };
  const server = find('mariadbd', 'mysqld');
  const installDb = find('mariadb-install-db', 'mysql_install_db');
  return server && installDb ? { installDb, server } : undefined;
}

/** Why a private MariaDB cannot be started here, or undefined when it can. */
export function mariadbUnavailable(): string | undefined {
  return findMariadbBinaries()
    ? undefined
    : 'MariaDB binaries (mariadbd/mysqld, mariadb-install-db/mysql_install_db) not found';
}

export interface PrivateMariadbOptions {
  /** The server's max_connections (MariaDB's minimum is 10; SUPER gets one more). Default 20. */
  maxConnections?: number;
  /** The database created for the test. Default `test`. */
  database?: string;
}

export class PrivateMariadb extends ProcessGroupServer {
  readonly user = 'root';
  readonly database: string;
  readonly maxConnections: number;
  protected readonly shutdownSignal = 'SIGTERM';
  readonly #bin: MariadbBinaries;
  readonly #userArgs: string[];

  private constructor(port: number, bin: MariadbBinaries, options: PrivateMariadbOptions) {
    super(port, 'private-mariadb');
    this.#bin = bin;
    this.database = options.database ?? 'test';
    this.maxConnections = options.maxConnections ?? 20;
    this.#userArgs = process.getuid?.() === 0 ? ['--user=root'] : [];
  }

  /** install-db, start, CREATE DATABASE; throws (after cleaning up) when any step fails. */
  static async start(options: PrivateMariadbOptions = {}): Promise<PrivateMariadb> {
    const bin = findMariadbBinaries();
    if (!bin) throw new Error('MariaDB binaries not found');
    const server = new PrivateMariadb(await freePort(), bin, options);
    try {
      server.#installDb();
      await server.start();
      const admin = await mysql.createConnection({ ...server.connection(), database: undefined });
      try {
        await admin.query(`CREATE DATABASE \`${server.database}\``);
      } finally {
        await admin.end();
      }
      return server;
    } catch (err) {
      await server.destroy();
      throw err;
    }
  }

  #installDb(): void {
    const result = spawnSync(
      this.#bin.installDb,
      [
        '--no-defaults',
        `--datadir=${this.dataDir}`,
        ...this.#userArgs,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (result.status !== 0) {
      throw new Error(`install-db failed (${result.status}): ${result.stderr}${result.stdout}`);
    }
  }

  protected command(): { file: string; args: string[] } {
    return {
      file: this.#bin.server,
      args: [
        '--no-defaults',
        `--datadir=${this.dataDir}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
        ...this.#userArgs,
        `--max-connections=${this.maxConnections}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        // innodb_flush_log_at_trx_commit stays 1: a commit is on disk before it is acknowledged.
      ],
    };
  }

  protected async ready(): Promise<boolean> {
    try {
      const conn = await mysql.createConnection({
        ...this.connection(),
        database: undefined,
        connectTimeout: 500,
      });
      conn.on('error', () => undefined);
      await conn.query('SELECT 1');
      await conn.end().catch(() => undefined);
      return true;
    } catch {
      return false;
    }
  }
}
