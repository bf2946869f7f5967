/**
 * What the private database servers of the tests share (test/helpers/private-postgres.ts,
 * test/helpers/private-mariadb.ts): a server process started in its own process group, whose
 * crash, freeze or cleanup reaches every process of the server (children included), a
 * temporary directory that is always removed, and the skip/fail rule when the server
 * binaries are missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './redis-server';
import { registerGatedSuite } from './services';

/** Every live server, so that a failing or interrupted test run still removes them. */
const live = new Set<ProcessGroupServer>();
let exitHookInstalled = false;

/**
 * Destroys the live servers when the process exits. Jest gives a test file its own `process`
 * object, whose 'exit' never fires: there the reaper below does the work.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of live) server.destroySync();
  });
}

/**
 * A detached shell that outlives the test process: once that process is gone (ended, crashed
 * or killed), it kills the server whose pid is in `pidFile` — frozen first, its children
 * (by parent pid) next, then itself — and removes `dir`. `destroy()` ends it sooner.
 */
function spawnReaper(dir: string, pidFile: string): ChildProcess {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `if [ -f "$2" ]; then pid=$(cat "$2"); kill -STOP "$pid"; pkill -KILL -P "$pid"; kill -KILL "$pid"; fi`,
    'rm -rf "$1"',
  ].join('\n');
  const reaper = spawn('sh', ['-c', script, 'reaper', dir, pidFile], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
  return reaper;
}

/** The uid and gid of a local account, or undefined when it does not exist. */
export function accountIds(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The first of `candidates` that is an executable file. */
export function executable(...candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** `name` on the PATH, as an absolute path. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const found = executable(path.join(dir, name));
    if (found) return found;
  }
  return undefined;
}

/**
 * `describe` for a suite that needs server binaries of the machine. Missing binaries (`why`
 * says which) fail the suite under `CI=true`; elsewhere the suite is skipped with a loud warning.
 */
export function describeWithBinaries(
  why: string | undefined,
  title: string,
  body: () => void,
): void {
  registerGatedSuite({
    title,
    body,
    available: why === undefined,
    missing: why ?? '',
    requirement: 'the server binaries',
    remedy: 'Install them to run it.',
    ci: process.env.CI === 'true',
    api: { describe, skip: describe.skip },
  });
}

interface ProcessEntry {
  ppid: number;
  pgrp: number;
  zombie: boolean;
}

/** The live process table (Linux /proc; empty elsewhere). */
function processTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), {
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      zombie: fields[0] === 'Z',
    });
  }
  return table;
}

/**
 * `root`, its process group and all their descendants. PostgreSQL puts every backend in a
 * process group of its own (so the postmaster can signal it), so a signal to the server's
 * group alone would miss them: a "killed" server would keep answering on open connections.
 */
function serverTree(root: number): number[] {
  const table = processTable();
  const found = new Set<number>([root]);
  for (const [pid, entry] of table) if (entry.pgrp === root) found.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, entry] of table) {
      if (!found.has(pid) && found.has(entry.ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

function alive(pids: number[]): number[] {
  const table = processTable();
  return pids.filter((pid) => {
    const entry = table.get(pid);
    return entry !== undefined && !entry.zombie;
  });
}

/** Every thread of `pid` stopped (state T), or the process gone. */
function allThreadsStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((tid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't' || state === 'Z' || state === 'X';
    } catch {
      return true;
    }
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/**
 * Signals every process of the server: the root is frozen first (it forks no child and sees
 * no child die meanwhile), its children get `sig`, then the root. Children first, because a
 * PostgreSQL backend that outlives its postmaster by a few ms still tells its client
 * "unexpected postmaster exit": a crash must look like one.
 */
function signalTree(root: number, sig: NodeJS.Signals): number[] {
  signal(root, 'SIGSTOP');
  const tree = serverTree(root);
  for (const pid of tree) if (pid !== root) signal(pid, sig);
  signal(root, sig);
  return tree;
}

/**
 * A server process running in its own process group, with its data under `dir` (created
 * here, removed by `destroy()` or at process exit). Subclasses say how to prepare the data
 * directory, which command runs the server and when it is ready.
 */
export abstract class ProcessGroupServer {
  readonly dir: string;
  readonly host = '127.0.0.1';
  abstract readonly user: string;
  abstract readonly database: string;
  #child: ChildProcess | undefined;
  #destroyed = false;
  readonly #reaper: ChildProcess;

  protected constructor(
    readonly port: number,
    tag: string,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
    live.add(this);
    installExitHook();
    this.#reaper = spawnReaper(this.dir, this.#pidFile);
  }

  /** The command and arguments that run the server in the foreground. */
  protected abstract command(): { file: string; args: string[] };
  /** Resolves once the server answers queries. */
  protected abstract ready(): Promise<boolean>;
  /** The signal of a clean shutdown. */
  protected abstract readonly shutdownSignal: NodeJS.Signals;

  /** Settings for the driver's pools and connections (`pg`, `mysql2`). */
  connection(): { host: string; port: number; user: string; database: string } {
    return { host: this.host, port: this.port, user: this.user, database: this.database };
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null;
  }

  get #pidFile(): string {
    return path.join(this.dir, 'server.pid');
  }

  /** Path of the server's log (stdout and stderr), kept in `dir`. */
  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  /** Starts the server on `port` with the data already in `dir` and waits until it answers. */
  async start(): Promise<void> {
    if (this.#destroyed) throw new Error('the server was destroyed');
    if (this.running) return;
    const { file, args } = this.command();
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(file, args, { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    this.#child = child;
    if (child.pid !== undefined) fs.writeFileSync(this.#pidFile, String(child.pid));
    child.once('error', () => undefined); // reported through exitCode / the wait below
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the server exited at start-up:\n${this.logTail()}`);
          }
          return this.ready();
        },
        20_000,
        `${file} on port ${this.port}\n${this.logTail()}`,
      );
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  /** The last lines of the server's log (for error messages). */
  logTail(lines = 15): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** A clean shutdown (data kept); waits for every process of the group to be gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const tree = serverTree(child.pid!);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      signalTree(child.pid!, 'SIGCONT');
      child.kill(this.shutdownSignal);
      const timer = setTimeout(() => signalTree(child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await this.#gone(tree);
    this.#child = undefined;
    fs.rmSync(this.#pidFile, { force: true });
  }

  /** A crash: SIGKILL to the whole group (nothing flushed, data kept); waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const tree = serverTree(child.pid!);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      signalTree(child.pid!, 'SIGKILL');
      await exited;
    }
    for (const pid of tree) signal(pid, 'SIGKILL');
    await this.#gone(tree);
    this.#child = undefined;
    fs.rmSync(this.#pidFile, { force: true });
  }

  /** Freezes every process of the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    if (this.#child?.pid !== undefined) signalTree(this.#child.pid, 'SIGSTOP');
  }

  /**
   * `pause()`, then wait until every thread of the server is stopped: a signal is delivered
   * asynchronously, and a thread still running for a few ms would answer a query sent "after"
   * the pause.
   */
  async pauseAndWait(timeoutMs = 2000): Promise<void> {
    const root = this.#child?.pid;
    if (root === undefined) return;
    const tree = signalTree(root, 'SIGSTOP');
    const deadline = Date.now() + timeoutMs;
    while (!tree.every(allThreadsStopped)) {
      if (Date.now() > deadline) throw new Error('the server did not stop');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  resume(): void {
    if (this.#child?.pid !== undefined) signalTree(this.#child.pid, 'SIGCONT');
  }

  /** A clean shutdown if it runs, then a start on the same port with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Kills the server and removes its directory (idempotent). */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    await this.kill();
    this.destroySync();
  }

  /** @internal The synchronous part of `destroy`, also run at process exit. */
  destroySync(): void {
    this.#destroyed = true;
    live.delete(this);
    this.#reaper.kill('SIGKILL');
    const pid = this.#child?.pid;
    if (pid !== undefined) signalTree(pid, 'SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async #gone(pids: number[]): Promise<void> {
    await waitFor(async () => alive(pids).length === 0, 10_000, `processes ${pids.join(' ')}`);
  }
}
