/**
 * A real 3-master Redis Cluster on free local ports, started and torn down by the test itself
 * (`redis-server --cluster-enabled yes` ×3, then `redis-cli --cluster create`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect } from './services';
import { freePort } from './redis-server';

export class LocalRedisCluster {
  private constructor(
    readonly ports: number[],
    readonly dir: string,
    private readonly processes: ChildProcess[],
  ) {}

  static async start(masters = 3): Promise<LocalRedisCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
    const ports: number[] = [];
    const processes: ChildProcess[] = [];
    const cluster = new LocalRedisCluster(ports, dir, processes);
    try {
      for (let i = 0; i < masters; i++) {
        // Cluster bus port = port + 10000: pick ports whose bus port is free too.
        let port = await freePort();
        while (port > 55_000) port = await freePort();
        ports.push(port);
        processes.push(
          spawn(
            'redis-server',
            [
              '--port',
              String(port),
              '--bind',
              '127.0.0.1',
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              path.join(dir, `nodes-${port}.conf`),
              '--save',
              '',
              '--appendonly',
              'no',
              '--dir',
              dir,
            ],
            { stdio: 'ignore' },
          ),
        );
      }
      for (const port of ports) await waitFor(() => canConnect('127.0.0.1', port, 200), 10_000);
      const create = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0)
        throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      await waitFor(
        async () => ports.every((p) => clusterInfo(p).includes('cluster_state:ok')),
        20_000,
      );
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get rootNodes(): Array<{ url: string }> {
    return this.ports.map((port) => ({ url: `redis://127.0.0.1:${port}` }));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function clusterInfo(port: number): string {
  return (
    spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout ??
    ''
  );
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for the Redis Cluster');
}
