/**
 * The session claims `sid` and `auth_time` as the Python consumers of the fleet see them.
 * test/fixtures/python-session-claims/cases.json holds tokens with the claims TokenIssuer
 * signs, without and with the new claims (and odd values of them), and the verdict each Python
 * auth-sdk-m8 version gave (this test never runs Python):
 * 1. for Python, adding the claims changes nothing: every case gets its baseline's verdict and
 *    model, in every recorded version;
 * 2. Node's TokenValidator and RefreshTokenPolicy.verify give each token the Python verdict;
 *    where Node differs on purpose the case is in `nodeDiffers`, with Node's verdict and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidTokenError } from '../../../lib/core/errors';
import { isSessionId, isWholeTime } from '../../../lib/security/claims';
import { RefreshTokenPolicy } from '../../../lib/security/refresh-token-policy';
import { TokenIssuer } from '../../../lib/security/token-issuer';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { rsaKeys } from '../../helpers/keys';

type PythonVerdict =
  | { accept: true; model: Record<string, unknown> }
  | { accept: false; error: string; message: string; cause?: string };

interface Case {
  name: string;
  kind: 'access' | 'refresh';
  alg: 'HS256' | 'RS256';
  profile: 'iss_aud' | 'plain';
  /** The case without the new claims (null: this is a baseline). */
  baseline: string | null;
  /** What this case adds to its baseline's claims. */
  added: Record<string, unknown>;
  claims: Record<string, unknown>;
  token: string;
  /** By auth-sdk-m8 version. */
  python: Record<string, PythonVerdict>;
}

interface Corpus {
  /** The time the tokens were minted and judged (epoch seconds): the clock of this test. */
  now: number;
  reference: string;
  'auth-sdk-m8': string[];
  keys: {
    HS256: { secret: string };
    RS256: { public_pem: string; kid: string };
    refresh: { secret: string };
  };
  profiles: Record<Case['profile'], { issuer: string | null; audience: string | null }>;
  cases: Case[];
}

const corpus = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../fixtures/python-session-claims/cases.json'), 'utf8'),
) as Corpus;

const NEW_CLAIMS = ['sid', 'auth_time'];
const byName = new Map(corpus.cases.map((c) => [c.name, c]));
const variants = corpus.cases.filter((c) => c.baseline !== null);
const baselineOf = (c: Case): Case => byName.get(c.baseline as string)!;
const reference = (c: Case): PythonVerdict => c.python[corpus.reference];

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));
}

/** 2.x added `tenant_id` (default null) to the model; 0.6.10 drops the claim. */
function withoutNullTenant(verdict: PythonVerdict): PythonVerdict {
  if (!verdict.accept || verdict.model.tenant_id !== null) return verdict;
  const { tenant_id: _dropped, ...model } = verdict.model;
  return { accept: true, model };
}

describe('the recorded corpus', () => {
  it('holds 0.6.10 (what the fleet runs) and the latest tag, on every case', () => {
    expect(corpus.reference).toBe('0.6.10');
    expect(corpus['auth-sdk-m8']).toEqual(['0.6.10', '2.1.0']);
    for (const c of corpus.cases) {
      expect([c.name, Object.keys(c.python)]).toEqual([c.name, corpus['auth-sdk-m8']]);
    }
    expect(variants.length).toBeGreaterThanOrEqual(60);
  });

  it('each token carries its recorded claims; a case is its baseline plus what it adds', () => {
    for (const c of corpus.cases) {
      expect([c.name, decodePart(c.token, 1)]).toEqual([c.name, c.claims]);
      if (c.baseline === null) {
        expect(Object.keys(c.claims).filter((k) => NEW_CLAIMS.includes(k))).toEqual([]);
        continue;
      }
      const base = baselineOf(c);
      expect([c.kind, c.alg, c.profile]).toEqual([base.kind, base.alg, base.profile]);
      expect(Object.keys(c.added).every((k) => NEW_CLAIMS.includes(k))).toBe(true);
      expect(c.claims).toEqual({ ...base.claims, ...c.added });
    }
  });

  it('the baselines carry the claims and headers TokenIssuer signs (sid and auth_time aside)', () => {
    const keysOf = (token: string): string[] =>
      Object.keys(decodePart(token, 1))
        .filter((k) => !NEW_CLAIMS.includes(k))
        .sort();
    const issuerFor = (profile: Case['profile'], alg: Case['alg']): TokenIssuer => {
      const { issuer, audience } = corpus.profiles[profile];
      const key = alg === 'HS256' ? corpus.keys.HS256.secret : rsaKeys().privatePem;
      return new TokenIssuer({
        accessKeys: [{ secret: { key, algorithm: alg }, kid: alg === 'RS256' ? 'k' : undefined }],
        refreshSecret: corpus.keys.refresh.secret,
        issuer: issuer ?? undefined,
        audience: audience ?? undefined,
      });
    };
    const user = { sub: 'u-1', email: 'user@example.com', full_name: 'A', email_verified: true };
    for (const base of corpus.cases.filter((c) => c.baseline === null)) {
      const issuer = issuerFor(base.profile, base.alg);
      const token =
        base.kind === 'access'
          ? issuer.issueAccessToken(user).token
          : issuer.issueRefreshToken({ userId: base.claims.sub as string }).token;
      expect([base.name, keysOf(base.token)]).toEqual([base.name, keysOf(token)]);
      expect([base.name, Object.keys(decodePart(base.token, 0)).sort()]).toEqual([
        base.name,
        Object.keys(decodePart(token, 0)).sort(),
      ]);
      // What the flows sign: the same claims plus exactly the new ones the corpus tries.
      const now = Math.floor(Date.now() / 1000);
      const withSession =
        base.kind === 'access'
          ? issuer.issueAccessToken(user, { sessionId: 'family-1', authTime: now }).token
          : issuer.issueRefreshToken({ userId: base.claims.sub as string, authTime: now }).token;
      const added = Object.keys(decodePart(withSession, 1)).filter((k) => NEW_CLAIMS.includes(k));
      expect([base.name, added.sort()]).toEqual([
        base.name,
        base.kind === 'access' ? ['auth_time', 'sid'] : ['auth_time'],
      ]);
    }
  });
});

describe('Python: sid and auth_time change no verdict', () => {
  it.each(variants.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    for (const version of corpus['auth-sdk-m8']) {
      // Same acceptance and the same model, or the same refusal (class, message, cause).
      expect([version, c.python[version]]).toEqual([version, baselineOf(c).python[version]]);
    }
  });

  it('the upgrade from 0.6.10 to 2.1.0 changes no verdict on these tokens', () => {
    for (const c of corpus.cases) {
      const [older, newer] = corpus['auth-sdk-m8'].map((v) => withoutNullTenant(c.python[v]));
      expect([c.name, newer]).toEqual([c.name, older]);
    }
  });
});

type NodeVerdict =
  | { accept: true; model: Record<string, unknown> }
  | { accept: false; message: string; detail: string | undefined };

async function nodeVerdict(c: Case): Promise<NodeVerdict> {
  const clock = (): number => corpus.now * 1000;
  try {
    if (c.kind === 'refresh') {
      const policy = new RefreshTokenPolicy({ secret: corpus.keys.refresh.secret, clock });
      const data = await policy.verify(c.token);
      return { accept: true, model: { user_id: data.userId, jti: data.jti } };
    }
    const { issuer, audience } = corpus.profiles[c.profile];
    const validator = new TokenValidator({
      secret: {
        key: c.alg === 'HS256' ? corpus.keys.HS256.secret : corpus.keys.RS256.public_pem,
        algorithm: c.alg,
      },
      config: createValidationConfig({
        allowedAlgorithms: [c.alg],
        issuer: issuer ?? undefined,
        audience: audience ?? undefined,
        requireIss: issuer !== null,
        requireAud: audience !== null,
      }),
      cache: false,
      clock,
    });
    const { sid, auth_time: authTime, ...model } = await validator.validateAccessToken(c.token);
    // Node keeps the session claims when well formed and ignores them otherwise (Python's
    // model never has them): a token is never refused for them.
    const claims = c.claims as { sid?: unknown; auth_time?: unknown };
    expect([c.name, sid]).toEqual([c.name, isSessionId(claims.sid) ? claims.sid : undefined]);
    expect([c.name, authTime]).toEqual([
      c.name,
      isWholeTime(claims.auth_time) ? claims.auth_time : undefined,
    ]);
    return { accept: true, model };
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    expect(error.status).toBe(401);
    return { accept: false, message: error.message, detail: error.detail };
  }
}

/** What both sides say: the model, or the refusal's message (Python has no `detail`). */
type Comparable =
  { accept: true; model: Record<string, unknown> } | { accept: false; message: string };

function fromPython(verdict: PythonVerdict): Comparable {
  const plain = withoutNullTenant(verdict);
  return plain.accept ? plain : { accept: false, message: plain.message };
}

function fromNode(verdict: NodeVerdict): Comparable {
  return verdict.accept ? verdict : { accept: false, message: verdict.message };
}

const SIZE_LIMIT =
  'Node refuses a token over 8 KiB before parsing it (maxTokenLength, RFC 8725 hardening); Python has no size limit';
const tooLarge = (message: string): NodeVerdict => ({
  accept: false,
  message,
  detail: 'too_large',
});

/**
 * Where Node's verdict differs from Python's on purpose. No `sid` or `auth_time` value makes
 * Node refuse a token Python accepts: a malformed one is ignored (not kept in the claims), and
 * `requireFreshLogin` then treats the token as having no login time.
 */
const nodeDiffers: Record<string, { node: NodeVerdict; reason: string }> = {
  'access HS256 iss_aud: sid of 7 000 characters (token over 8 KiB)': {
    node: tooLarge('Invalid access token'),
    reason: SIZE_LIMIT,
  },
  'access RS256 iss_aud: sid of 7 000 characters (token over 8 KiB)': {
    node: tooLarge('Invalid access token'),
    reason: SIZE_LIMIT,
  },
  'refresh HS256 plain: sid of 7 000 characters (token over 8 KiB)': {
    node: tooLarge('Invalid refresh token'),
    reason: SIZE_LIMIT,
  },
};

describe(`Node against the Python ${corpus.reference} verdicts`, () => {
  it('lists only differences that are cases of the corpus', () => {
    for (const name of Object.keys(nodeDiffers)) expect(byName.has(name)).toBe(true);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const node = await nodeVerdict(c);
    const difference = nodeDiffers[name];
    if (difference === undefined) {
      expect(fromNode(node)).toEqual(fromPython(reference(c)));
      return;
    }
    expect(difference.reason).not.toBe('');
    expect(node).toEqual(difference.node);
    expect(fromNode(node)).not.toEqual(fromPython(reference(c)));
  });
});
