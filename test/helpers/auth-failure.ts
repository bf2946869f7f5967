/**
 * One assertion for an authentication failure as every adapter answers it: the HTTP status,
 * the RFC 6750 `WWW-Authenticate` challenge and the JSON error body
 * (`{ success: false, msg, from_error, errors, status_code }`).
 */
import type { ResponseErrorBase } from '../../lib/core/types';

/** What a supertest response (or a hand-parsed raw HTTP answer) offers. */
export interface AuthFailureResponse {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/**
 * The challenge expected in `WWW-Authenticate`:
 * - a string: the exact header value;
 * - a RegExp: the value must match it;
 * - `{ includes }`: the value must contain each string;
 * - `null`: no challenge at all.
 */
export type ChallengeExpectation =
  string | RegExp | { includes: string | readonly string[] } | null;

export interface AuthFailureExpectation {
  status: number;
  challenge: ChallengeExpectation;
  /** The whole body, compared with `toEqual`. */
  body?: ResponseErrorBase;
  /** Fields the body must have (`toMatchObject`), when the rest is not the test's subject. */
  bodyMatches?: Partial<ResponseErrorBase>;
  /** The body's `msg`. */
  msg?: string;
  /** The body's `from_error` (the error class name). */
  fromError?: string;
  /** The first entry's `error` in the body's `errors` (for a refused token, the reason). */
  reason?: string;
}

export function expectAuthFailure(
  res: AuthFailureResponse,
  expected: AuthFailureExpectation,
): void {
  expect(res.status).toBe(expected.status);

  const header = res.headers['www-authenticate'];
  const { challenge } = expected;
  if (challenge === null) {
    expect(header).toBeUndefined();
  } else if (typeof challenge === 'string') {
    expect(header).toBe(challenge);
  } else if (challenge instanceof RegExp) {
    expect(header).toMatch(challenge);
  } else {
    const parts =
      typeof challenge.includes === 'string' ? [challenge.includes] : challenge.includes;
    expect(parts.length).toBeGreaterThan(0);
    for (const part of parts) expect(header).toContain(part);
  }

  const body = res.body as ResponseErrorBase;
  if (expected.body !== undefined) expect(body).toEqual(expected.body);
  if (expected.bodyMatches !== undefined) expect(body).toMatchObject(expected.bodyMatches);
  if (expected.msg !== undefined) expect(body.msg).toBe(expected.msg);
  if (expected.fromError !== undefined) expect(body.from_error).toBe(expected.fromError);
  if (expected.reason !== undefined) expect(body.errors[0]!.error).toBe(expected.reason);
}

/** The body of a request that presented no access token at all. */
export const missingTokenBody: ResponseErrorBase = {
  success: false,
  msg: 'Access token missing',
  from_error: 'InvalidTokenError',
  errors: [{ table: null, field_name: null, error: 'missing' }],
  status_code: 401,
};
