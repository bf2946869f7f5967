/** The one decision a refresh makes about its session once the store has rotated, as a table. */
import {
  sessionStepAfter,
  type SessionStep,
} from '../../../../lib/security/flows/session-decision';
import type { SessionRecord } from '../../../../lib/security/store-contracts';

const advanced = { id: 'session-1' } as SessionRecord;

const table: Array<[string, Parameters<typeof sessionStepAfter>[0], boolean, SessionStep]> = [
  ['a plain rotation, sessions kept by the flow', {}, true, { action: 'advance' }],
  ['a plain rotation, no session store', {}, false, { action: 'none' }],
  [
    'advanced by the store with the rotation',
    { session: advanced },
    true,
    { action: 'advanced', sessionId: 'session-1' },
  ],
  [
    'advanced by the store, the family has no session',
    { session: null },
    true,
    { action: 'advanced', sessionId: undefined },
  ],
  ['a replay inside the grace', { replayed: true }, true, { action: 'look_up' }],
  ['a replay, no session store', { replayed: true }, false, { action: 'none' }],
  ['a Python token adopted: its first session', { adopted: true }, true, { action: 'open' }],
  ['a Python token adopted, no session store', { adopted: true }, false, { action: 'none' }],
  ['fail_open let it through unrotated', { degraded: true }, true, { action: 'none' }],
];

describe('sessionStepAfter', () => {
  it.each(table)('%s', (_name, rotation, hasSessionStore, step) => {
    expect(sessionStepAfter(rotation, hasSessionStore)).toEqual(step);
  });
});
