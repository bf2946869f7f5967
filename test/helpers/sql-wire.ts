/**
 * A TCP relay to PostgreSQL or MySQL/MariaDB that reads the client's side of the wire protocol
 * and records every command the client sends, as the server receives it: one entry per round
 * trip (PostgreSQL: a simple `Query`, its statements joined by `+`, or an extended-protocol
 * batch ended by `Sync`; MySQL: a command packet, sequence id 0). Exact, whatever the
 * machine's load: nothing is timed.
 */
import { startTcpRelay, type TcpRelay } from './tcp-relay';

export type SqlProtocol = 'postgres' | 'mysql';

/** Reads one client stream; calls `command` with the first word of each statement sent. */
function postgresReader(command: (word: string) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let started = false;
  let pending = ''; // the statement of an extended-protocol batch, until its Sync
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!started) {
        // Untyped start-up message (or SSLRequest): Int32 length, then its body.
        if (buffer.length < 4) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        buffer = buffer.subarray(length);
        if (code !== 80877103) started = true; // an SSLRequest is followed by a start-up
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]!);
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const body = buffer.subarray(5, 1 + length);
      buffer = buffer.subarray(1 + length);
      // A simple query may hold several statements: one round trip, each named.
      if (type === 'Q') command(statementWords(body.toString('utf8')));
      else if (type === 'P')
        pending = firstWord(body.subarray(body.indexOf(0) + 1).toString('utf8'));
      else if (type === 'S') command(pending || 'EXECUTE');
    }
  };
}

function mysqlReader(command: (word: string) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUIntLE(0, 3);
      if (buffer.length < 4 + length) return;
      const sequence = buffer[3];
      const body = buffer.subarray(4, 4 + length);
      buffer = buffer.subarray(4 + length);
      if (sequence !== 0 || length === 0) continue; // hand-shake and auth packets
      const kind = body[0];
      if (kind === 0x03) command(firstWord(body.subarray(1).toString('utf8')));
      else if (kind === 0x17) command('EXECUTE');
      else if (kind !== 0x01) command(`COM_${kind}`); // COM_QUIT is no round trip
    }
  };
}

/** `BEGIN+WITH+SELECT` for a query text of three statements (split at `;` + line break). */
function statementWords(sql: string): string {
  return sql
    .replace(/\0$/, '')
    .split(/;\s*\n/)
    .map(firstWord)
    .join('+');
}

function firstWord(sql: string): string {
  return (/^\s*([A-Za-z]+)/.exec(sql)?.[1] ?? '?').toUpperCase();
}

export class SqlCommandRelay {
  private constructor(
    readonly relay: TcpRelay,
    /** What every connection through the relay has sent so far, in order. */
    readonly commands: string[],
  ) {}

  static async start(
    protocol: SqlProtocol,
    target: { host: string; port: number },
  ): Promise<SqlCommandRelay> {
    const commands: string[] = [];
    const record = (word: string): void => void commands.push(word);
    const tcp = await startTcpRelay(target, () =>
      protocol === 'postgres' ? postgresReader(record) : mysqlReader(record),
    );
    return new SqlCommandRelay(tcp, commands);
  }

  get port(): number {
    return this.relay.port;
  }

  /** The commands sent while `action` runs (its only client must be this relay's). */
  async commandsOf(action: () => Promise<unknown>): Promise<string[]> {
    const before = this.commands.length;
    await action();
    return this.commands.slice(before);
  }

  close(): Promise<void> {
    return this.relay.close();
  }
}
