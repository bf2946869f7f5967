/** Shared benchmark helpers: timing loops, medians, tables, machine info, result files. */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export const QUICK = process.argv.includes('--quick');

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** ops/s of a synchronous function over ~`ms` milliseconds (checked every 256 calls). */
export function measureSync(fn: (i: number) => unknown, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 256; k++) fn(n++);
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

/** ops/s of an async function awaited one call at a time over ~`ms` milliseconds. */
export async function measureAsync(
  fn: (i: number) => Promise<unknown>,
  ms: number,
): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 64; k++) await fn(n++);
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

export interface Contender {
  name: string;
  run: (ms: number) => Promise<number>;
}

/** Warm up every contender, then interleave `rounds` rounds; median ops/s per contender. */
export async function compare(
  contenders: Contender[],
  rounds: number,
  ms: number,
): Promise<Map<string, number>> {
  for (const c of contenders) await c.run(Math.min(ms, 150));
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) samples.get(c.name)!.push(await c.run(ms));
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

/**
 * CPU µs per call of each function, median of interleaved rounds (5 × 300 ms; `--quick` 3 ×
 * 150 ms). CPU time of this process, not wall time: other load on the machine slows the wall
 * clock far more than the CPU time one call takes.
 */
export async function cpuMicrosPerCall(
  calls: ReadonlyMap<string, () => Promise<unknown>>,
): Promise<Map<string, number>> {
  const callsPerCpuSecond = await compare(
    [...calls].map(([name, call]) => ({
      name,
      run: async (budget: number) => {
        let n = 0;
        const start = performance.now();
        const cpuBefore = process.cpuUsage();
        while (performance.now() - start < budget) {
          for (let k = 0; k < 64; k++) await call();
          n += 64;
        }
        const cpu = process.cpuUsage(cpuBefore);
        return n / ((cpu.user + cpu.system) / 1e6);
      },
    })),
    QUICK ? 3 : 5,
    QUICK ? 150 : 300,
  );
  return new Map([...callsPerCpuSecond].map(([name, ops]) => [name, 1e6 / ops]));
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function table(
  title: string,
  headers: string[],
  rows: Array<Array<string | number>>,
): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    `\n${title}`,
    line(headers),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map((r) => line(r.map(String))),
  ];
  return out.join('\n');
}

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function writeResult(name: string, data: unknown): void {
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${name}.json`),
    `${JSON.stringify({ machine: machine(), ...(data as object) }, null, 2)}\n`,
  );
}

export interface Bar {
  name: string;
  ok: boolean;
  detail: string;
}

/** A compact HS256 JWS of `payload` (what an issuer signs per refresh), on node:crypto. */
export function signHs256(payload: Record<string, unknown>, secret: string): string {
  const encode = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
