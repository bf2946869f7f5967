/**
 * The database cut under traffic, with the example service (a real child process on
 * `createPgPool` / `createMysqlPool`) answering HTTP all along. The service runs as its own
 * database account; the cut locks that account out and ends every connection it holds
 * (`pg_terminate_backend`, MariaDB `KILL`), from a second connection. Expected: the process
 * never dies, requests that need the store answer 503 while it cannot answer (revocation is
 * fail_closed), and 200s come back once the account is let in again.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  canConnect,
  describeWithService,
  services,
  type ServiceName,
} from '../../helpers/services';
import { startService, type RunningService } from './run-service';

jest.setTimeout(90_000);

/** A database account of the service's own, which the test can lock out and let in. */
interface Account {
  env: Record<string, string>;
  /** Lock the account out and end every connection it holds. */
  cut(): Promise<void>;
  heal(): Promise<void>;
  drop(): Promise<void>;
}

interface Database {
  service: ServiceName & ('postgres' | 'mysql');
  title: string;
  /** What the service's connection-error listener logs. */
  logged: RegExp;
  open(name: string): Promise<Account>;
}

const postgres: Database = {
  service: 'postgres',
  title: 'PostgreSQL',
  logged: /PostgreSQL connection error/,
  async open(role) {
    const admin = new pg.Pool({ ...services.postgres, max: 1 });
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    // Its own schema (first on the default search_path): migrate() creates its tables there.
    await admin.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
    const terminate = (): Promise<unknown> =>
      admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [
        role,
      ]);
    return {
      env: { AUTH_STORE: 'postgres', DB_DATABASE: services.postgres.database, DB_USER: role },
      async cut() {
        await admin.query(`ALTER ROLE ${role} NOLOGIN`);
        await terminate();
      },
      heal: async () => void (await admin.query(`ALTER ROLE ${role} LOGIN`)),
      async drop() {
        await terminate();
        await admin.query(`DROP SCHEMA IF EXISTS ${role} CASCADE`);
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.end();
      },
    };
  },
};

const mariadb: Database = {
  service: 'mysql',
  title: 'MariaDB',
  logged: /MySQL connection error/,
  async open(user) {
    const admin = await mysql.createConnection({ ...services.mysql });
    await admin.query(`CREATE DATABASE ${user}`);
    await admin.query(`CREATE USER '${user}'@'%'`);
    await admin.query(`GRANT ALL ON ${user}.* TO '${user}'@'%'`);
    const kill = async (): Promise<void> => {
      const [rows] = await admin.query(
        'SELECT id FROM information_schema.processlist WHERE user = ?',
        [user],
      );
      for (const { id } of rows as Array<{ id: number }>) {
        await admin.query(`KILL ${Number(id)}`).catch(() => undefined); // gone meanwhile
      }
    };
    return {
      env: { AUTH_STORE: 'mysql', DB_DATABASE: user, DB_USER: user },
      async cut() {
        await admin.query(`ALTER USER '${user}'@'%' ACCOUNT LOCK`);
        await kill();
      },
      heal: async () => void (await admin.query(`ALTER USER '${user}'@'%' ACCOUNT UNLOCK`)),
      async drop() {
        await kill();
        await admin.query(`DROP DATABASE IF EXISTS ${user}`);
        await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
        await admin.end();
      },
    };
  },
};

interface Answer {
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when no answer came (the service gone). */
  status: number;
}

/** `GET /auth/me` from `workers` clients in a loop until `stop()`; every answer, in order. */
function traffic(url: string, token: string, workers = 3) {
  const answers: Answer[] = [];
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) {
      const sentAt = Date.now();
      const status = await fetch(`${url}/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
        .then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        })
        .catch(() => 0);
      answers.push({ sentAt, answeredAt: Date.now(), status });
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    answers,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Statuses of the requests sent at or after `from` and answered before `to`, counted. */
function statuses(answers: Answer[], from: number, to: number): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers)
    if (a.sentAt >= from && a.answeredAt < to) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

async function post(url: string, path: string, body: unknown) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/**
 * How many answers the windows before the cut and after the recovery must hold before the test
 * moves on: about what the fixed 500 ms waits they replace used to collect.
 */
const SAMPLE = 40;

/** One database cut, from the account's creation to the traffic's end; what the test checks. */
interface CutRun {
  account?: Account;
  service?: RunningService;
  loginStatus?: number;
  answers: Answer[];
  start: number;
  cutAt: number;
  cutDone: number;
  healAt: number;
  recovered: boolean;
  firstBack?: number;
  end: number;
}

/**
 * Starts the example service on its own account of `db`, puts it under traffic, cuts the
 * database and heals it. Most of the time goes to waiting for the guard's breaker (open 10 s
 * after 5 failures), so the two databases are cut at the same time (see the `beforeAll`).
 */
async function runCut(db: Database, run: CutRun): Promise<CutRun> {
  const name = `t_cut_${process.pid}_${randomBytes(3).toString('hex')}`;
  run.account = await db.open(name);
  run.service = await startService({
    DB_HOST: services[db.service].host,
    DB_PORT: String(services[db.service].port),
    ...run.account.env,
  });
  const service = run.service;
  const login = await post(service.url, '/auth/login', {
    email: 'user@example.com',
    password: 'demo-password',
  });
  run.loginStatus = login.status;
  if (login.status !== 200) return run;
  const load = traffic(service.url, login.body.access_token!);
  run.answers = load.answers;
  run.start = Date.now();
  // A sample of answers before the cut (bounded: the check below fails on too few).
  await waitFor(() => load.answers.filter((a) => a.sentAt >= run.start).length >= SAMPLE, 5000);
  run.cutAt = Date.now();
  await run.account.cut();
  run.cutDone = Date.now();
  // The heal comes while the breaker is open, so this wait costs nothing: the probe that
  // closes the breaker is due 10 s after the cut either way.
  await new Promise((r) => setTimeout(r, 1500));
  run.healAt = Date.now();
  await run.account.heal();
  // The guard's breaker (open 10 s after 5 failures) lets a probe through, which closes it.
  run.recovered = await waitFor(
    () => load.answers.some((a) => a.sentAt > run.healAt && a.status === 200),
    20_000,
  );
  // Requests sent while the breaker's probe was out still see it open (503).
  run.firstBack = load.answers.find((a) => a.sentAt > run.healAt && a.status === 200)?.answeredAt;
  const firstBack = run.firstBack;
  // A sample of answers after the recovery.
  if (firstBack !== undefined)
    await waitFor(() => load.answers.filter((a) => a.sentAt >= firstBack).length >= SAMPLE, 5000);
  run.end = Date.now();
  await load.stop();
  return run;
}

const cuts = new Map<Database, { run: CutRun; done: Promise<CutRun> }>();

// Each database suite enters here at collection time (a skipped one too, hence the probe); the
// cuts then run side by side, and each test checks its own.
const registered: Database[] = [];
beforeAll(async () => {
  for (const db of registered) {
    if (!(await canConnect(services[db.service].host, services[db.service].port))) continue;
    const run: CutRun = {
      answers: [],
      start: 0,
      cutAt: 0,
      cutDone: 0,
      healAt: 0,
      recovered: false,
      end: 0,
    };
    const done = runCut(db, run);
    done.catch(() => undefined); // the test awaits it and reports the failure
    cuts.set(db, { run, done });
  }
});

afterAll(async () => {
  for (const { run, done } of cuts.values()) {
    await done.catch(() => undefined);
    if (run.service?.child.exitCode === null) await run.service.stop();
    await run.account?.drop();
  }
});

for (const db of [postgres, mariadb]) {
  describeWithService(db.service, `the example service while its ${db.title} is cut`, () => {
    registered.push(db);

    it('keeps running: 503 while the database cannot answer, 200 again after', async () => {
      const cut = cuts.get(db);
      expect(cut).toBeDefined(); // its server answered when the cuts began
      const run = await cut!.done;
      expect(run.service).toBeDefined();
      expect(run.loginStatus).toBe(200);
      const { service, answers, start, cutAt, cutDone, healAt, recovered, firstBack, end } = run;

      const before = statuses(answers, start, cutAt);
      const during = statuses(answers, cutDone + 100, healAt);
      const after = statuses(answers, firstBack ?? end, Number.POSITIVE_INFINITY);
      console.log(
        `${db.title} cut: before ${JSON.stringify(before)}, during ${JSON.stringify(during)}, ` +
          `back ${firstBack === undefined ? 'never' : `${firstBack - healAt} ms`} after the heal, ` +
          `then ${JSON.stringify(after)}`,
      );
      expect(service!.child.exitCode).toBeNull(); // never died
      expect(recovered).toBe(true);
      expect(Object.keys(before)).toEqual(['200']);
      expect(Object.keys(during)).toEqual(['503']);
      expect(during[503]).toBeGreaterThanOrEqual(10);
      expect(Object.keys(after)).toEqual(['200']);
      // Every answer was 200 or 503: nothing crashed, hung up or answered 500.
      expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(service!.output()).toMatch(db.logged);

      // The whole flow works again: a login and a rotation through the recovered pool.
      const again = await post(service!.url, '/auth/login', {
        email: 'user@example.com',
        password: 'demo-password',
      });
      expect(again.status).toBe(200);
      const refreshed = await post(service!.url, '/auth/refresh', {
        refresh_token: again.body.refresh_token,
      });
      expect(refreshed.status).toBe(200);
      expect(await service!.stop()).toBe(0);
    });
  });
}
