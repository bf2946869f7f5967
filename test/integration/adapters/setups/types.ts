import type { RequestAuthOptions } from 'auth-sdk-m8';

/**
 * One adapter set-up of the parity matrix: a real listening server whose `/me` (any method)
 * authenticates with `options` and answers `{ sub }` (or `{ id }`), every error through the
 * adapter's own error mapping.
 */
export interface AdapterSetup {
  name: string;
  start(options: RequestAuthOptions): Promise<RunningAdapter>;
}

export interface RunningAdapter {
  base: string;
  close(): Promise<void>;
}
