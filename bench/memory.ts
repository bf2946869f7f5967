/**
 * Memory check: an Express app with `authenticate()` + a stateful in-memory policy, in a child
 * process started with --expose-gc, under 200k requests. heapUsed after GC must stay within
 * 10 % of its value after the first 20k requests; active handles are counted before/after.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, QUICK, fmt, table, writeResult, type Bar } from './lib';

interface Probe {
  heapUsed: number;
  resources: Record<string, number>;
}

export async function runMemory(): Promise<{ bars: Bar[]; text: string }> {
  const total = QUICK ? 60_000 : 200_000;
  const first = 20_000;
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(BENCH_DIR, 'servers', 'memory-server.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: path.join(BENCH_DIR, '..'),
    },
  );
  try {
    const { port, tokens } = await new Promise<{ port: number; tokens: string[] }>(
      (resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split('\n').find((l) => l.startsWith('READY '));
          if (line) {
            const [, p, ...t] = line.trim().split(' ');
            resolve({ port: Number(p), tokens: t });
          }
        });
        child.once('exit', (code) => reject(new Error(`memory server exited with ${code}`)));
      },
    );
    const base = `http://127.0.0.1:${port}`;
    const probe = async (): Promise<Probe> =>
      (await fetch(`${base}/__probe`)).json() as Promise<Probe>;
    const hammer = (amount: number): Promise<unknown> =>
      autocannon({
        url: `${base}/protected`,
        connections: 10,
        amount,
        // Distinct tokens (login traffic) plus repeats (cache hits), like a real service.
        requests: tokens.map((token) => ({
          method: 'GET',
          path: '/protected',
          headers: { authorization: `Bearer ${token}` },
        })),
      });
    const before = await probe();
    await hammer(first);
    const early = await probe();
    await hammer(total - first);
    const late = await probe();
    const growth = (late.heapUsed - early.heapUsed) / early.heapUsed;
    const rows = [
      ['before', fmt(before.heapUsed / 1024), JSON.stringify(before.resources)],
      [`after ${fmt(first)} requests`, fmt(early.heapUsed / 1024), JSON.stringify(early.resources)],
      [`after ${fmt(total)} requests`, fmt(late.heapUsed / 1024), JSON.stringify(late.resources)],
    ];
    const sameHandles = JSON.stringify(early.resources) === JSON.stringify(late.resources);
    writeResult('memory', { total, first, before, early, late, growth });
    return {
      text: table(
        `Memory under ${fmt(total)} requests (heapUsed after GC)`,
        ['moment', 'heap KiB', 'active resources'],
        rows,
      ),
      bars: [
        {
          name: 'heap flat: after-GC heap within 10% of its value after 20k requests',
          ok: Math.abs(growth) <= 0.1,
          detail: `${(growth * 100).toFixed(1)}%`,
        },
        {
          name: 'no listener or timer leak (same active resources)',
          ok: sameHandles,
          detail: sameHandles
            ? 'same'
            : `${JSON.stringify(early.resources)} -> ${JSON.stringify(late.resources)}`,
        },
      ],
    };
  } finally {
    child.kill('SIGTERM');
  }
}
