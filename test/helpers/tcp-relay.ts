/**
 * A TCP relay on 127.0.0.1 to a real server, which shows every chunk a client writes to the
 * code that counts it (the Redis write counter, the SQL wire-protocol reader).
 */
import net from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /**
   * A partition: nothing more is forwarded either way (the sockets stop reading; what is sent
   * waits in the kernel's buffers) while both ends still look connected.
   */
  pause(): void;
  /** Ends the partition: what waited is delivered, in order. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * Forwards both ways; `watch` is called once per client connection and returns what sees that
 * connection's chunks, before they go on to the server.
 */
export async function startTcpRelay(
  target: { host: string; port: number },
  watch: () => (chunk: Buffer) => void,
): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(target.port, target.host);
    const seen = watch();
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.on('data', (chunk: Buffer) => {
      seen(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => downstream.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause() {
      for (const socket of sockets) socket.pause();
    },
    resume() {
      for (const socket of sockets) socket.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
