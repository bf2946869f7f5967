/**
 * The hostile-token corpus through authenticate() AND the Passport strategy, over raw HTTP:
 * both must give the same verdict for every token, none may be accepted or answered 500.
 */
import express from 'express';
import http from 'node:http';
import net from 'node:net';
import { Passport } from 'passport';
import { errorHandler, authenticate } from '../../../lib/express';
import { createJwtStrategy } from '../../../lib/passport';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { InvalidTokenError } from '../../../lib/core/errors';
import type { TokenAlgorithm } from '../../../lib/core/types';
import type { FailureEvent } from '../../../lib/security/types';
import { MemoryRevocationStore } from '../../../stores/memory';
import { hostileTokens } from '../../fixtures/hostile-tokens';
import { expectAuthFailure } from '../../helpers/auth-failure';
import { HS_SECRET, ecKeys, rsaKeys } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { quietLogger } from './auth-fixture';

interface Verdict {
  status: number;
  challenge: string | undefined;
  body: string;
}

/** Send `Authorization: Bearer <token>` byte for byte (no client-side validation or trimming). */
function rawGet(port: number, path: string, token: string): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end(
        Buffer.concat([
          Buffer.from(`GET ${path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer `),
          Buffer.from(token, 'utf8'),
          Buffer.from('\r\nConnection: close\r\n\r\n'),
        ]),
      );
    });
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const challenge = lines
        .find((l) => l.toLowerCase().startsWith('www-authenticate:'))
        ?.slice('www-authenticate:'.length)
        .trim();
      resolve({ status, challenge, body: rest.join('\r\n\r\n') });
    });
  });
}

// Tokens Node's HTTP parser refuses (control characters) never reach the app: 400 from Node.
const hasControlChar = (token: string): boolean =>
  [...token].some((c) => (c.charCodeAt(0) < 0x20 && c !== '\t') || c.charCodeAt(0) === 0x7f);
// HTTP strips the whitespace around a header value (RFC 9110 §5.5): the server receives the
// genuine token, so accepting it is correct.
const HTTP_EQUIVALENT_TO_VALID = new Set(['leading and trailing whitespace']);

const setups: Array<{
  alg: TokenAlgorithm;
  signKey: () => any;
  verifyKey: () => any;
  publicPem?: () => string;
}> = [
  { alg: 'HS256', signKey: () => HS_SECRET, verifyKey: () => HS_SECRET },
  {
    alg: 'RS256',
    signKey: () => rsaKeys().privateKey,
    verifyKey: () => rsaKeys().publicPem,
    publicPem: () => rsaKeys().publicPem,
  },
  {
    alg: 'ES256',
    signKey: () => ecKeys().privateKey,
    verifyKey: () => ecKeys().publicPem,
    publicPem: () => ecKeys().publicPem,
  },
];

/** The body every refusal of `reason` answers, whatever its detail (pinned, not computed). */
const REFUSAL_BODIES: Record<string, string> = {
  invalid:
    '{"success":false,"msg":"Invalid access token","from_error":"InvalidTokenError","errors":[{"table":null,"field_name":null,"error":"invalid"}],"status_code":401}',
  invalid_payload:
    '{"success":false,"msg":"Invalid access token","from_error":"InvalidTokenError","errors":[{"table":null,"field_name":null,"error":"invalid_payload"}],"status_code":401}',
  wrong_type:
    '{"success":false,"msg":"Not an access token","from_error":"InvalidTokenError","errors":[{"table":null,"field_name":null,"error":"wrong_type"}],"status_code":401}',
  expired:
    '{"success":false,"msg":"Access token expired","from_error":"InvalidTokenError","errors":[{"table":null,"field_name":null,"error":"expired"}],"status_code":401}',
};
const MESSAGES: Record<string, string> = {
  invalid: 'Invalid access token',
  invalid_payload: 'Invalid access token',
  wrong_type: 'Not an access token',
  expired: 'Access token expired',
};

/**
 * The 8-character windows of the token's payload and signature segments (and of the token
 * itself) that `detail` contains: any is a leak of the token into the logs.
 */
function leakedParts(detail: string, token: string): string[] {
  const dots = token.split('.');
  const texts = [token, ...(dots.length >= 3 ? [dots[1], dots[dots.length - 1]] : [])];
  const leaks = new Set<string>();
  for (const text of texts) {
    for (let i = 0; i + 8 <= text.length; i += 1) {
      const part = text.slice(i, i + 8);
      if (detail.includes(part)) leaks.add(part);
    }
  }
  return [...leaks];
}

it('the leak check finds a signature or payload slice in a detail (so it can fail)', () => {
  const token = mint(accessClaims(), { alg: 'HS256', key: HS_SECRET });
  const [, payload, sig] = token.split('.');
  expect(leakedParts(`signature:${sig.slice(5, 20)}`, token).length).toBeGreaterThan(0);
  expect(leakedParts(`claim:${payload.slice(3, 12)}`, token).length).toBeGreaterThan(0);
  expect(leakedParts('signature', token)).toEqual([]);
});

describe.each(setups)('hostile tokens ($alg): authenticate() and Passport agree', (setup) => {
  let server: http.Server;
  let port: number;
  /** What the last request to /a refused with: the error and the hook's events. */
  let seenErrors: unknown[] = [];
  let seenFailures: FailureEvent[] = [];

  beforeAll(async () => {
    const validator = new TokenValidator({
      secret: { key: setup.verifyKey(), algorithm: setup.alg },
      config: createValidationConfig({ allowedAlgorithms: [setup.alg] }),
      logger: quietLogger,
      hooks: { onFailure: (event) => seenFailures.push(event) },
    });
    const policy = new TokenPolicy({
      validator,
      revocationStore: new MemoryRevocationStore(),
      logger: quietLogger,
    });
    const passport = new Passport();
    passport.use(createJwtStrategy({ policy }));
    const app = express();
    app.use(passport.initialize());
    app.get('/a', authenticate({ policy }), (_req, res) => {
      res.json({ ok: true });
    });
    app.get(
      '/p',
      passport.authenticate('jwt', { session: false, failWithError: true }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use(
      '/a',
      (err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
        seenErrors.push(err);
        next(err);
      },
    );
    app.use(errorHandler({ logger: quietLogger }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('accepts the genuine token on both routes (so the refusals below are real)', async () => {
    const token = mint(accessClaims(), { alg: setup.alg, key: setup.signKey() });
    expect((await rawGet(port, '/a', token)).status).toBe(200);
    expect((await rawGet(port, '/p', token)).status).toBe(200);
  });

  it('refuses every hostile token with the same verdict on both, never 200 or 500', async () => {
    const corpus = hostileTokens({
      alg: setup.alg,
      signKey: setup.signKey(),
      publicPem: setup.publicPem?.(),
    });
    expect(corpus.length).toBeGreaterThan(50);
    const report: string[] = [];
    const refusals: Verdict[] = [];
    for (const { name, token } of corpus) {
      const viaAuthenticate = await rawGet(port, '/a', token);
      const viaPassport = await rawGet(port, '/p', token);
      const same =
        viaAuthenticate.status === viaPassport.status &&
        viaAuthenticate.challenge === viaPassport.challenge &&
        viaAuthenticate.body === viaPassport.body;
      let expected: number;
      if (hasControlChar(token)) expected = 400;
      else if (HTTP_EQUIVALENT_TO_VALID.has(name)) expected = 200;
      else expected = 401;
      if (!same || viaAuthenticate.status !== expected) {
        report.push(
          `${name}: authenticate ${viaAuthenticate.status}, passport ${viaPassport.status}, expected ${expected}`,
        );
      }
      if (expected === 401) refusals.push(viaAuthenticate);
    }
    expect(report).toEqual([]);
    expect(refusals.length).toBeGreaterThan(0);
    for (const verdict of refusals) {
      expectAuthFailure(
        {
          status: verdict.status,
          headers: { 'www-authenticate': verdict.challenge },
          body: JSON.parse(verdict.body),
        },
        {
          status: 401,
          challenge: /^Bearer realm="api", error="invalid_token"/,
          bodyMatches: { success: false, status_code: 401 },
        },
      );
    }
  });

  it('gives every refusal a non-empty detail on the error and the hook, never in the answer', async () => {
    const corpus = hostileTokens({
      alg: setup.alg,
      signKey: setup.signKey(),
      publicPem: setup.publicPem?.(),
    });
    const report: string[] = [];
    let refused = 0;
    for (const { name, token } of corpus) {
      if (hasControlChar(token) || HTTP_EQUIVALENT_TO_VALID.has(name)) continue;
      seenErrors = [];
      seenFailures = [];
      const verdict = await rawGet(port, '/a', token);
      refused += 1;
      const [error] = seenErrors;
      if (seenErrors.length !== 1 || !(error instanceof InvalidTokenError)) {
        report.push(`${name}: ${seenErrors.length} errors, not one InvalidTokenError`);
        continue;
      }
      const { detail, reason } = error;
      if (typeof detail !== 'string' || detail === '') report.push(`${name}: no detail`);
      // The validator reports each refusal it decides once, with the same detail; a token the
      // extraction refuses (bad characters in the header) never reaches it.
      const hooked = seenFailures.map((event) => event.detail);
      if (hooked.length > 1 || (hooked.length === 1 && hooked[0] !== detail)) {
        report.push(`${name}: hook details ${JSON.stringify(hooked)} vs ${String(detail)}`);
      }
      const leaks = leakedParts(detail ?? '', token);
      if (leaks.length > 0) report.push(`${name}: detail ${String(detail)} leaks ${leaks[0]}`);
      if (!/^[a-z_]+(:[A-Za-z0-9_-]{1,32})?$/.test(detail ?? '')) {
        report.push(`${name}: detail ${String(detail)} is not a short machine string`);
      }
      if (verdict.body !== REFUSAL_BODIES[reason]) {
        report.push(`${name}: body changed: ${verdict.body}`);
      }
      const challenge = `Bearer realm="api", error="invalid_token", error_description="${MESSAGES[reason]}"`;
      if (verdict.challenge !== challenge) {
        report.push(`${name}: challenge changed: ${String(verdict.challenge)}`);
      }
    }
    expect(refused).toBeGreaterThan(50);
    expect(report).toEqual([]);
  });
});
