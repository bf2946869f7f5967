/** Rules every session store applies to what it keeps (shared so the backends agree). */
import { MAX_LISTED_SESSIONS, type SessionRecord } from '../lib/security/store-contracts';

export const MAX_USER_AGENT_LENGTH = 512;
export const MAX_IP_LENGTH = 64;

/** The session with `userAgent` and `ip` cut to their bounds (absent stays absent). */
export function clipSession(session: SessionRecord): SessionRecord {
  const clipped: SessionRecord = { ...session };
  if (typeof session.userAgent === 'string') {
    clipped.userAgent = session.userAgent.slice(0, MAX_USER_AGENT_LENGTH);
  } else delete clipped.userAgent;
  if (typeof session.ip === 'string') clipped.ip = session.ip.slice(0, MAX_IP_LENGTH);
  else delete clipped.ip;
  return clipped;
}

/** A list limit between 1 and `MAX_LISTED_SESSIONS`. */
export function boundedListLimit(limit: number): number {
  if (!Number.isFinite(limit)) return MAX_LISTED_SESSIONS;
  return Math.min(MAX_LISTED_SESSIONS, Math.max(1, Math.floor(limit)));
}
