/**
 * Revocation visibility for `bench/tracking.ts`: a writer sets `jwt:blacklist:<jti>` as the
 * Python issuer does (`SET … EX 60`), one key every 10 ms, and two consumer processes
 * (`servers/tracking-consumer.ts`, each a tracking client with every token answered locally)
 * validate the token as soon as Redis reports the write. Delays run from the writer's reply,
 * on CLOCK_MONOTONIC (`process.hrtime`), one clock for every process of the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createClient } from 'redis';
import { keysFor, tokensFor } from './keys';
import { BENCH_DIR, QUICK, table } from './lib';
import { jtiOf, percentile } from './tracking-parts';

export const REVOCATIONS = QUICK ? 60 : 200;

export interface Visibility {
  /** ms from the writer's reply to the refusal, per consumer and revocation. */
  delays: number[];
  /** ms from the writer's reply to the invalidation reaching the consumer. */
  arrivals: number[];
  missed: number;
  samples: number;
}

function startConsumerProcess(url: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', path.join(BENCH_DIR, 'servers', 'tracking-consumer.ts')],
    {
      cwd: path.join(BENCH_DIR, '..'),
      env: { ...process.env, BENCH_REDIS_URL: url },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
}

/** Resolves the first stdout line of `child` starting with `prefix` (the rest of it). */
function lineOf(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith(prefix)) return;
      lines.close();
      resolve(line.slice(prefix.length).trim());
    });
    child.once('exit', (code) => reject(new Error(`consumer exited with ${code}`)));
  });
}

export async function measureVisibility(url: string): Promise<Visibility> {
  const tokens = tokensFor(keysFor('HS256'), REVOCATIONS);
  const consumers = [startConsumerProcess(url), startConsumerProcess(url)];
  const writer = createClient({ url });
  await writer.connect();
  try {
    const ready = consumers.map((child) => lineOf(child, 'READY'));
    for (const child of consumers) child.stdin!.write(`${JSON.stringify(tokens)}\n`);
    await Promise.all(ready);
    const replies = new Map<string, bigint>();
    for (const token of tokens) {
      const key = `jwt:blacklist:${jtiOf(token)}`;
      await writer.sendCommand(['SET', key, '1', 'EX', '60']); // as the Python issuer writes it
      replies.set(key, process.hrtime.bigint());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const results = consumers.map((child) => lineOf(child, 'RESULT'));
    for (const child of consumers) child.stdin!.write('DONE\n');
    const seen = (await Promise.all(results)).map(
      (text) =>
        (JSON.parse(text) as { seen: Record<string, { invalidated: string; refused?: string }> })
          .seen,
    );
    return visibilityOf(replies, seen);
  } finally {
    await writer.quit();
    for (const child of consumers) if (child.exitCode === null) child.kill('SIGTERM');
  }
}

function visibilityOf(
  replies: Map<string, bigint>,
  seen: Array<Record<string, { invalidated: string; refused?: string }>>,
): Visibility {
  const ms = (from: bigint, to: string): number => Number(BigInt(to) - from) / 1e6;
  const delays: number[] = [];
  const arrivals: number[] = [];
  let missed = 0;
  for (const consumer of seen) {
    for (const [key, reply] of replies) {
      const entry = consumer[key];
      if (entry?.refused === undefined) {
        missed += 1;
        continue;
      }
      delays.push(ms(reply, entry.refused));
      arrivals.push(ms(reply, entry.invalidated));
    }
  }
  return { delays, arrivals, missed, samples: replies.size * seen.length };
}

export function visibilityTable(v: Visibility): string {
  const cells = (values: number[]) =>
    [50, 99].map((p) => percentile(values, p).toFixed(2)).concat(Math.max(...values).toFixed(2));
  return table(
    `Revocation visibility: ${REVOCATIONS} keys written by a third process (SET … EX 60), 2 consumer processes (ms from the writer's reply; negative: before the writer read it)`,
    ['moment', 'p50', 'p99', 'max', 'refused / revocations'],
    [
      ['invalidation reaches the consumer', ...cells(v.arrivals), ''],
      ['next request refused', ...cells(v.delays), `${v.samples - v.missed} / ${v.samples}`],
    ],
  );
}
