/** The shared failure assertion must fail on every value it is told to check. */
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import type { AuthFailureExpectation, AuthFailureResponse } from '../../helpers/auth-failure';

const expired =
  'Bearer realm="api", error="invalid_token", error_description="Access token expired"';
const res: AuthFailureResponse = {
  status: 401,
  headers: { 'www-authenticate': expired },
  body: {
    success: false,
    msg: 'Access token expired',
    from_error: 'InvalidTokenError',
    errors: [{ table: null, field_name: null, error: 'expired' }],
    status_code: 401,
  },
};

describe('expectAuthFailure', () => {
  it('passes when every given value matches', () => {
    expectAuthFailure(res, {
      status: 401,
      challenge: expired,
      bodyMatches: { success: false, status_code: 401 },
      msg: 'Access token expired',
      fromError: 'InvalidTokenError',
      reason: 'expired',
    });
    expectAuthFailure(res, { status: 401, challenge: /^Bearer realm="api", error=/ });
    expectAuthFailure(res, {
      status: 401,
      challenge: { includes: ['error="invalid_token"', 'realm="api"'] },
    });
    expectAuthFailure(
      {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="api"' },
        body: missingTokenBody,
      },
      { status: 401, challenge: 'Bearer realm="api"', body: missingTokenBody },
    );
  });

  it.each<[string, Partial<AuthFailureExpectation>]>([
    ['status', { status: 403 }],
    ['exact challenge', { challenge: 'Bearer realm="api"' }],
    ['challenge pattern', { challenge: /realm="shop"/ }],
    ['challenge part', { challenge: { includes: ['error="invalid_token"', 'insufficient'] } }],
    ['no challenge', { challenge: null }],
    ['whole body', { body: missingTokenBody }],
    ['body fields', { bodyMatches: { status_code: 403 } }],
    ['msg', { msg: 'Invalid access token' }],
    ['from_error', { fromError: 'InvalidRequestError' }],
    ['reason', { reason: 'revoked' }],
  ])('fails on a wrong %s', (_name, wrong) => {
    expect(() => expectAuthFailure(res, { status: 401, challenge: expired, ...wrong })).toThrow();
  });

  it('fails when a challenge is expected and the header is absent', () => {
    const bare = { ...res, headers: {} };
    expect(() => expectAuthFailure(bare, { status: 401, challenge: { includes: 'x' } })).toThrow();
    expect(() => expectAuthFailure(bare, { status: 401, challenge: /.*/ })).toThrow();
  });
});
