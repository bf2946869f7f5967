/** A real JWKS endpoint on 127.0.0.1:0 whose answers a test can change, slow down or break. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type JwksBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'hang' }
  | { kind: 'huge'; bytes: number };

export class JwksServer {
  document: { keys: unknown[] } = { keys: [] };
  behaviour: JwksBehaviour = { kind: 'ok' };
  delayMs = 0;
  requests = 0;
  readonly #server: http.Server;
  readonly #hanging = new Set<http.ServerResponse>();

  private constructor() {
    this.#server = http.createServer((_req, res) => {
      this.requests += 1;
      const answer = (): void => this.#answer(res);
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
  }

  static async start(): Promise<JwksServer> {
    const server = new JwksServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get uri(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  #answer(res: http.ServerResponse): void {
    const b = this.behaviour;
    switch (b.kind) {
      case 'ok':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.document));
        return;
      case 'status':
        res.statusCode = b.status;
        res.end('{}');
        return;
      case 'body':
        res.setHeader('content-type', 'application/json');
        res.end(b.body);
        return;
      case 'redirect':
        res.statusCode = 302;
        res.setHeader('location', b.location);
        res.end();
        return;
      case 'hang':
        this.#hanging.add(res);
        return;
      case 'huge': {
        res.setHeader('content-type', 'application/json');
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < b.bytes) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      }
    }
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
