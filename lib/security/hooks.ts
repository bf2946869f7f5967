import type { Logger } from '../core/types';
import { traceHookEvent } from './tracing';
import type { ValidationHooks } from './types';

type HookName = keyof ValidationHooks;
type HookEvent<N extends HookName> = Parameters<NonNullable<ValidationHooks[N]>>[0];

/**
 * Call one observability hook. A hook that throws is logged and ignored: metrics or logging
 * must never turn a valid token into a 500 (the Python SDK let hook errors escape).
 */
export function callHook<N extends HookName>(
  hooks: ValidationHooks | undefined,
  name: N,
  event: HookEvent<N>,
  logger?: Logger,
): void {
  traceHookEvent(name, event);
  const hook = hooks?.[name] as ((e: HookEvent<N>) => void) | undefined;
  if (hook === undefined) return;
  try {
    hook.call(hooks, event);
  } catch (err) {
    logger?.warn(
      `auth-sdk-m8: ${name} hook threw and was ignored: ${(err as Error)?.message ?? String(err)}`,
    );
  }
}
