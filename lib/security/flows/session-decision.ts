/**
 * What a refresh does with its session once the store has decided the rotation: one pure
 * decision, so the four cases (a Python token's first session, advanced by the store,
 * advanced here, a replay) are read and tested in one place.
 */
import type { RefreshRotation } from '../refresh-token-policy';

export type SessionStep =
  /** No session store, or the store could not rotate (`fail_open`): nothing to record. */
  | { action: 'none' }
  /** A token adopted from the Python store: its first refresh here opens its session. */
  | { action: 'open' }
  /** The store advanced the session inside the rotation (null: the family has none). */
  | { action: 'advanced'; sessionId: string | undefined }
  /** A plain rotation: the flow advances the family's session now. */
  | { action: 'advance' }
  /** A replay inside the grace: nothing changed; the family's session is only looked up. */
  | { action: 'look_up' };

export function sessionStepAfter(
  rotation: Pick<RefreshRotation, 'adopted' | 'session' | 'replayed' | 'degraded'>,
  hasSessionStore: boolean,
): SessionStep {
  if (rotation.adopted === true && hasSessionStore) return { action: 'open' };
  if (rotation.session !== undefined) {
    return { action: 'advanced', sessionId: rotation.session?.id };
  }
  if (!hasSessionStore || rotation.degraded === true) return { action: 'none' };
  return rotation.replayed === true ? { action: 'look_up' } : { action: 'advance' };
}
