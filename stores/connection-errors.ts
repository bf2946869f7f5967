/** The 'error' listener every client or pool of the stores gets (shared so they log alike). */
import type { Logger } from '../lib/core/types';

const LOG_INTERVAL_MS = 10_000;

/**
 * A listener that keeps a connection error from crashing the process (an 'error' event
 * without a listener is an uncaught exception) and warns through `logger`, at most once every
 * 10 s: a server that is down fails every reconnection.
 */
export function connectionErrorListener(
  server: string,
  logger: Logger | undefined,
): (err: Error) => void {
  let lastLogged = Number.NEGATIVE_INFINITY;
  return (err) => {
    const now = Date.now();
    if (now - lastLogged < LOG_INTERVAL_MS) return;
    lastLogged = now;
    logger?.warn(`auth-sdk-m8: ${server} connection error: ${err.message}`);
  };
}
