/**
 * What every example server does around its framework: read PORT and HOST, build the services
 * (`bootstrap.ts`), start the app, print the start line, and stop cleanly on SIGTERM/SIGINT
 * (server closed, store clients ended, exit 0). A configuration it cannot run refuses the
 * start with the reasons in plain words (no stack, no secret) and a non-zero exit.
 */
import { ConfigurationError, type Logger } from 'auth-sdk-m8';
import { bootstrap, type ExampleServices } from './bootstrap';

/** A listening app: the port it got, and how to stop it (in-flight requests first). */
export interface StartedServer {
  port: number;
  close(): Promise<void>;
}

export type StartServer = (
  services: ExampleServices,
  address: { host: string; port: number },
) => Promise<StartedServer>;

const logger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

/** Run the example service on the framework `start` builds; never resolves while it serves. */
export function runExample(start: StartServer): void {
  serve(start).catch((err: unknown) => {
    console.error(refusalMessage(err, process.env));
    process.exit(1);
  });
}

/**
 * What a refused start prints: the reason in plain words (no stack), one line per finding,
 * and no secret value from `env` (the environment the service was started with).
 */
export function refusalMessage(err: unknown, env: Record<string, string | undefined>): string {
  const findings = err instanceof ConfigurationError ? err.findings : [];
  // With findings, the message's first line is the headline and the findings the details.
  const headline = findings.length > 0 ? messageOf(err).split('\n')[0] : messageOf(err);
  const lines = [`auth-sdk-m8 example refused to start: ${headline}`];
  for (const finding of findings) lines.push(`  - ${finding}`);
  return scrubSecrets(lines.join('\n'), env);
}

async function serve(start: StartServer): Promise<void> {
  const port = parsePort(process.env.PORT);
  const booted = await bootstrap(process.env, logger);
  for (const note of booted.notes) logger.info?.(`auth-sdk-m8 example: ${note}`);
  // Demo passwords inside: listen on loopback unless HOST says otherwise.
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const server = await start(booted.services, { host, port });
  const shown = host.includes(':') ? `[${host}]` : host;
  logger.info?.(
    `auth-sdk-m8 example listening on http://${shown}:${server.port} (${booted.summary})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info?.(`auth-sdk-m8 example: ${signal} received, shutting down`);
    server
      .close()
      .then(() => booted.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`auth-sdk-m8 example: closing the stores failed: ${messageOf(err)}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`PORT must be an integer from 0 to 65535 (got "${value}").`);
  }
  return port;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Secret values must never reach the terminal, even inside a validation message. */
function scrubSecrets(text: string, env: Record<string, string | undefined>): string {
  let out = text;
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 6 && /SECRET|PASSWORD|PRIVATE/.test(name)) {
      out = out.split(value).join('***');
    }
  }
  return out;
}
