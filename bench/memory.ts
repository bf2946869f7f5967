/**
 * Memory check: an Express app with `authenticate()` + a stateful in-memory policy, in a child
 * process started with --expose-gc, under 200k requests. heapUsed after GC must stay within
 * 10 % of its value after the first 20k requests; active handles are counted before/after.
 *
 * Memory per entry: each in-memory store (refresh tokens, revocations, sessions) in its own
 * --expose-gc child (this file, `--per-entry KIND N`): heapUsed after GC before and after
 * inserting N entries with UUID ids, divided by N. N defaults to the stores' default cap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from '../stores/memory';
import { BENCH_DIR, QUICK, fmt, table, writeResult, type Bar } from './lib';

/** The default `maxEntries` of the three memory stores (stores/memory). */
export const DEFAULT_MAX_ENTRIES = 100_000;

const ENTRY_KINDS = ['refresh token', 'session', 'revocation'] as const;
type EntryKind = (typeof ENTRY_KINDS)[number];

/**
 * How the ids are made. `signed`: `crypto.randomUUID()`, then serialized into a token, as
 * TokenIssuer does with a jti and a familyId (JSON.stringify flattens the string in place).
 * `randomUUID`: straight from `crypto.randomUUID()`, never serialized: Node builds it from 20
 * pieces and V8 keeps that rope (e.g. a session id made and stored without going anywhere).
 */
const ID_FORMS = ['signed', 'randomUUID'] as const;
type IdForm = (typeof ID_FORMS)[number];

const STORE_OF: Record<EntryKind, string> = {
  'refresh token': 'MemoryRefreshTokenStore',
  session: 'MemorySessionStore',
  revocation: 'MemoryRevocationStore',
};

export interface PerEntry {
  kind: EntryKind;
  store: string;
  ids: IdForm;
  entries: number;
  heapBefore: number;
  heapAfter: number;
  bytesPerEntry: number;
  maxEntries: number;
  /** bytesPerEntry x maxEntries, in MiB. */
  atCapMiB: number;
}

/** A flat copy of `text` (no shared literal, no rope), as an HTTP or JSON parser hands over. */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/**
 * Inserts `n` realistic entries into a fresh store of `kind`: token ids in the `ids` form;
 * user ids, user agents and IPs always flat (they come from a database or a request).
 */
async function fill(kind: EntryKind, ids: IdForm, n: number): Promise<{ size: number }> {
  const id =
    ids === 'signed'
      ? (): string => {
          const jti = randomUUID();
          JSON.stringify({ jti });
          return jti;
        }
      : randomUUID;
  const now = Math.floor(Date.now() / 1000);
  if (kind === 'revocation') {
    const store = new MemoryRevocationStore();
    for (let i = 0; i < n; i++) await store.revoke(id(), 30 * 60);
    return store;
  }
  if (kind === 'refresh token') {
    // One login per user: a new user and a new family per token (the indexes' worst case).
    const store = new MemoryRefreshTokenStore();
    for (let i = 0; i < n; i++) {
      await store.register(id(), {
        userId: flat(randomUUID()),
        familyId: id(),
        ttlSeconds: 7 * 24 * 3600,
      });
    }
    return store;
  }
  const store = new MemorySessionStore();
  for (let i = 0; i < n; i++) {
    await store.create({
      id: id(),
      userId: flat(randomUUID()),
      provider: flat('password'),
      familyId: id(),
      accessJti: id(),
      accessExpiresAt: now + 30 * 60,
      refreshTokenHash: createHash('sha256').update(randomUUID()).digest('hex'),
      refreshExpiresAt: now + 7 * 24 * 3600,
      createdAt: now,
      lastUsedAt: now,
      userAgent: flat(USER_AGENT),
      ip: flat(`203.0.${i % 256}.${(i >> 8) % 256}`),
    });
  }
  return store;
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap after GC before and after filling one store; the store is dropped on return. */
async function measureOne(kind: EntryKind, ids: IdForm, n: number): Promise<[number, number]> {
  const heapBefore = heapAfterGc();
  const store = await fill(kind, ids, n);
  const heapAfter = heapAfterGc();
  // The store is still reachable here: it is read after the measurement.
  if (store.size !== n) throw new Error(`${kind}: the store holds ${store.size} of ${n}`);
  return [heapBefore, heapAfter];
}

/** In the child: each kind in turn, one JSON line each. */
async function measureInChild(ids: IdForm, n: number): Promise<void> {
  for (const kind of ENTRY_KINDS) {
    const [heapBefore, heapAfter] = await measureOne(kind, ids, n);
    const bytesPerEntry = (heapAfter - heapBefore) / n;
    const result: PerEntry = {
      kind,
      store: STORE_OF[kind],
      ids,
      entries: n,
      heapBefore,
      heapAfter,
      bytesPerEntry,
      maxEntries: DEFAULT_MAX_ENTRIES,
      atCapMiB: (bytesPerEntry * DEFAULT_MAX_ENTRIES) / 2 ** 20,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

/** One --expose-gc child per id form (about 5-8 s each on the 2-core machine). */
export function runPerEntry(n: number = DEFAULT_MAX_ENTRIES): PerEntry[] {
  return ID_FORMS.flatMap((ids) => {
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--per-entry',
        ids,
        String(n),
      ],
      { cwd: path.join(BENCH_DIR, '..'), encoding: 'utf8', timeout: 120_000 },
    );
    if (child.status !== 0) {
      throw new Error(`per-entry ${ids} exited with ${child.status}: ${child.stderr}`);
    }
    return child.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PerEntry);
  });
}

export function perEntryTable(results: PerEntry[]): string {
  const at = (kind: EntryKind, ids: IdForm): PerEntry | undefined =>
    results.find((r) => r.kind === kind && r.ids === ids);
  return table(
    `Memory per entry of the in-memory stores (${fmt(results[0]?.entries ?? 0)} entries, heapUsed after GC; token ids signed / raw from crypto.randomUUID())`,
    [
      'store',
      'entry',
      'bytes/entry',
      'bytes/entry (raw randomUUID ids)',
      'default maxEntries',
      'at the cap',
    ],
    ENTRY_KINDS.map((kind) => {
      const signed = at(kind, 'signed');
      const raw = at(kind, 'randomUUID');
      return [
        STORE_OF[kind],
        kind,
        fmt(signed?.bytesPerEntry ?? Number.NaN),
        fmt(raw?.bytesPerEntry ?? Number.NaN),
        fmt(DEFAULT_MAX_ENTRIES),
        `${(signed?.atCapMiB ?? Number.NaN).toFixed(0)} MiB (raw ids: ${(raw?.atCapMiB ?? Number.NaN).toFixed(0)} MiB)`,
      ];
    }),
  );
}

interface Probe {
  heapUsed: number;
  resources: Record<string, number>;
}

export async function runMemory(): Promise<{ bars: Bar[]; text: string }> {
  const perEntry = runPerEntry();
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
    writeResult('memory', { total, first, before, early, late, growth, perEntry });
    return {
      text: `${table(
        `Memory under ${fmt(total)} requests (heapUsed after GC)`,
        ['moment', 'heap KiB', 'active resources'],
        rows,
      )}\n${perEntryTable(perEntry)}`,
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

const perEntryFlag = process.argv.indexOf('--per-entry');
if (process.argv[1] === fileURLToPath(import.meta.url) && perEntryFlag >= 0) {
  const ids = process.argv[perEntryFlag + 1] as IdForm;
  if (!ID_FORMS.includes(ids)) throw new Error(`--per-entry ${ID_FORMS.join('|')} [N]`);
  measureInChild(ids, Number(process.argv[perEntryFlag + 2] ?? DEFAULT_MAX_ENTRIES)).catch(
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
