/**
 * Starts an example service as a REAL child process (`node --import tsx
 * examples/<name>/server.ts`) on a free port and waits for its start line. Not through the
 * tsx CLI: it relays SIGTERM to a second process and SIGKILLs it when that process has not
 * acknowledged within 30 ms, which a busy machine misses (exit 143 instead of a clean stop).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '../../..');

/**
 * The example services (`examples/<name>/server.ts`) the black-box tests run: one line and one
 * `example-service.<name>.test.ts` each.
 */
export const EXAMPLE_SERVICES = ['express', 'fastify', 'nest'] as const;
export type ExampleService = (typeof EXAMPLE_SERVICES)[number];
const serviceArgs = (service: ExampleService) => [
  '--import',
  'tsx',
  `examples/${service}/server.ts`,
];

export interface RunningService {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGTERM, then resolves the exit code. */
  stop(): Promise<number | null>;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what the service needs: no settings leak in from the developer's shell.
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    PORT: '0',
    ...extra,
  };
}

export function startService(
  env: Record<string, string> = {},
  service: ExampleService = 'express',
  timeoutMs = 20_000,
): Promise<RunningService> {
  const child = spawn(process.execPath, serviceArgs(service), {
    cwd: root,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start in time:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const onData = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        url: match[1],
        output: () => stdout + stderr,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${stdout}\n${stderr}`));
    });
  });
}

/** Runs the service expecting it to refuse to start; resolves its exit code and output. */
export function runExpectingExit(
  env: Record<string, string>,
  service: ExampleService = 'express',
  timeoutMs = 20_000,
): Promise<Exited> {
  const child = spawn(process.execPath, serviceArgs(service), {
    cwd: root,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
