import { spawnSync } from 'node:child_process';
import net from 'node:net';

/** Connection settings of the real servers the store tests use (env overrides the defaults). */
export const services = {
  redis: {
    host: process.env.REDIS_TEST_HOST ?? '127.0.0.1',
    port: Number(process.env.REDIS_TEST_PORT ?? 6379),
    url: process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379',
  },
  postgres: {
    host: process.env.PG_TEST_HOST ?? '127.0.0.1',
    port: Number(process.env.PG_TEST_PORT ?? 5432),
    user: process.env.PG_TEST_USER ?? 'postgres',
    password: process.env.PG_TEST_PASSWORD ?? '',
    database: process.env.PG_TEST_DATABASE ?? 'test',
  },
  mysql: {
    host: process.env.MYSQL_TEST_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_TEST_PORT ?? 3306),
    user: process.env.MYSQL_TEST_USER ?? 'root',
    password: process.env.MYSQL_TEST_PASSWORD ?? '',
    database: process.env.MYSQL_TEST_DATABASE ?? 'test',
  },
} as const;

export type ServiceName = keyof typeof services;

/** Resolves true when a TCP connection to host:port opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The parts of Jest's API a service-gated suite registers itself with. */
export interface SuiteApi {
  describe: (title: string, body: () => void) => void;
  skip: (title: string, body: () => void) => void;
}

export interface ServiceSuite {
  name: ServiceName;
  title: string;
  body: () => void;
  /** Whether the server answered. */
  reachable: boolean;
  /** Whether we run under CI (`CI=true`), where an absent server is a failure. */
  ci: boolean;
  api: SuiteApi;
  warn?: (message: string) => void;
}

/**
 * Registers `body` under `title`: as a normal suite when the server answers; under CI, as a
 * suite whose one test fails (CI must never skip store tests); otherwise with `describe.skip`,
 * so Jest reports the tests as skipped (never as passed) and a loud warning names the server.
 */
export function registerServiceSuite(suite: ServiceSuite): void {
  const { name } = suite;
  const { host, port } = services[name];
  registerGatedSuite({
    ...suite,
    available: suite.reachable,
    missing: `${name} is not reachable at ${host}:${port}`,
    requirement: name,
    remedy: `Start ${name} to run it.`,
  });
}

/** A suite that needs something of the machine (a server, server binaries). */
export interface GatedSuite {
  title: string;
  body: () => void;
  available: boolean;
  /** What is missing, e.g. `redis is not reachable at 127.0.0.1:6379`. */
  missing: string;
  /** The test title's noun under CI: `requires <requirement> (CI=true)`. */
  requirement: string;
  /** What to do, e.g. `Start redis to run it.` */
  remedy: string;
  ci: boolean;
  api: SuiteApi;
  warn?: (message: string) => void;
}

/**
 * The one policy for suites that need the machine: run when available; under CI a suite whose
 * one test fails (CI never skips); elsewhere skipped (reported as skipped) with a loud warning.
 */
export function registerGatedSuite(suite: GatedSuite): void {
  const { title, body, api, missing } = suite;
  if (suite.available) {
    api.describe(title, body);
    return;
  }
  if (suite.ci) {
    api.describe(title, () => {
      it(`requires ${suite.requirement} (CI=true)`, () => {
        throw new Error(`${missing}: CI requires it.`);
      });
    });
    return;
  }
  (suite.warn ?? console.warn)(`\n!!! SKIPPING "${title}": ${missing}. ${suite.remedy} !!!\n`);
  api.skip(title, body);
}

/**
 * `describe` that runs only when `name` answers (see `registerServiceSuite`). Reachability is
 * probed synchronously at collection time through a child process, because Jest collects
 * tests synchronously.
 */
export function describeWithService(name: ServiceName, title: string, body: () => void): void {
  const { host, port } = services[name];
  registerServiceSuite({
    name,
    title,
    body,
    reachable: probeSync(host, port),
    ci: process.env.CI === 'true',
    api: { describe, skip: describe.skip },
  });
}

// Generous bounds: on a loaded 2-core machine (three Jest workers and their child processes)
// starting the probe's Node process alone has taken over 3 s; a refused port still answers at once.
function probeSync(host: string, port: number): boolean {
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)});s.setTimeout(5000,()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 20_000 });
  return result.status === 0;
}

/** A unique prefix per test run so parallel suites never see each other's keys or rows. */
export function uniquePrefix(tag: string): string {
  return `test:${tag}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}
