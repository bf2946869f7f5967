import { InvalidRequestError, InvalidTokenError } from '../../../lib/core/errors';
import { extractToken, readCookie } from '../../../lib/core/extract-token';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

describe('extractToken', () => {
  it('returns undefined when no token is presented', () => {
    expect(extractToken({ headers: {} })).toBeUndefined();
  });

  it('reads a Bearer token from the Authorization header', () => {
    expect(extractToken({ headers: { authorization: `Bearer ${TOKEN}` } })).toEqual({
      token: TOKEN,
      source: 'header',
    });
  });

  it('accepts the scheme in any case and several spaces before the token', () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect(extractToken({ headers: { authorization: `${scheme}   ${TOKEN}` } })?.token).toBe(
        TOKEN,
      );
    }
  });

  it('accepts trailing = padding allowed by the b64token grammar', () => {
    expect(extractToken({ headers: { authorization: 'Bearer abc.def==' } })?.token).toBe(
      'abc.def==',
    );
  });

  it('treats another scheme (Basic) as no bearer token', () => {
    expect(extractToken({ headers: { authorization: 'Basic dXNlcjpwYXNz' } })).toBeUndefined();
  });

  it('treats a scheme that only starts with Bearer as another scheme', () => {
    expect(extractToken({ headers: { authorization: `BearerX ${TOKEN}` } })).toBeUndefined();
  });

  it('rejects "Bearer" without a token as a malformed token (401 invalid_token)', () => {
    for (const value of ['Bearer', 'Bearer ', 'Bearer    ']) {
      const run = () => extractToken({ headers: { authorization: value } });
      expect(run).toThrow(InvalidTokenError);
      expect(run).toThrow(expect.objectContaining({ status: 401, reason: 'invalid' }));
    }
  });

  it('rejects two space-separated values as a malformed token (401 invalid_token)', () => {
    expect(() => extractToken({ headers: { authorization: `Bearer ${TOKEN} extra` } })).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_token' }),
    );
  });

  it('rejects characters outside the b64token alphabet as invalid_token (401)', () => {
    for (const bad of ['a,b', 'a"b', 'tök', 'a=b', '<script>', 'a\\b']) {
      let caught: unknown;
      try {
        extractToken({ headers: { authorization: `Bearer ${bad}` } });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidTokenError);
      expect(caught).toMatchObject({ status: 401, reason: 'invalid' });
    }
  });

  it('accepts exactly the b64token grammar of RFC 6750 §2.1, from the header and the cookie', () => {
    const grammar = /^[A-Za-z0-9\-._~+/]+=*$/;
    const samples = [
      ...['a', 'a.b-c_d~e+f/g', 'abc=', 'abc==', TOKEN, 'x'.repeat(600)],
      ...['=', '==', '=a', 'a=b', 'a=b=', 'a==b', 'a b', 'a\tb', 'a,b', 'tök', 'a\u2028b', '%41'],
    ];
    const verdict = (carrier: Parameters<typeof extractToken>[0]) => {
      try {
        return extractToken(carrier, { allowCookie: true }) !== undefined;
      } catch {
        return false;
      }
    };
    for (const sample of samples) {
      const expected = grammar.test(sample);
      expect([sample, verdict({ headers: { authorization: `Bearer ${sample}` } })]).toEqual([
        sample,
        expected,
      ]);
      expect([sample, verdict({ headers: {}, cookies: { access_token: sample } })]).toEqual([
        sample,
        expected,
      ]);
    }
  });

  it('rejects more than one Authorization header as invalid_request', () => {
    expect(() =>
      extractToken({ headers: { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] } }),
    ).toThrow(InvalidRequestError);
  });

  it('ignores the cookie unless cookies are allowed', () => {
    expect(extractToken({ headers: { cookie: `access_token=${TOKEN}` } })).toBeUndefined();
  });

  it('reads the token from the raw Cookie header when no cookie parser ran', () => {
    expect(
      extractToken(
        { headers: { cookie: `theme=dark; access_token=${TOKEN}; other=1` } },
        { allowCookie: true },
      ),
    ).toEqual({ token: TOKEN, source: 'cookie' });
  });

  it('prefers parsed req.cookies and honours a custom cookie name', () => {
    expect(
      extractToken(
        { headers: { cookie: 'at=ignored' }, cookies: { at: TOKEN } },
        { allowCookie: true, cookieName: 'at' },
      ),
    ).toEqual({ token: TOKEN, source: 'cookie' });
  });

  it('rejects a token sent both as header and cookie (RFC 6750 §2) with 400', () => {
    expect(() =>
      extractToken(
        { headers: { authorization: `Bearer ${TOKEN}`, cookie: `access_token=${TOKEN}` } },
        { allowCookie: true },
      ),
    ).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request' }));
  });

  it('does not read the header when allowHeader is false', () => {
    expect(
      extractToken(
        { headers: { authorization: `Bearer ${TOKEN}` } },
        { allowHeader: false, allowCookie: true },
      ),
    ).toBeUndefined();
  });

  it('puts the configured realm in the challenge of its errors', () => {
    try {
      extractToken({ headers: { authorization: 'Bearer' } }, { realm: 'shop' });
      throw new Error('expected a throw');
    } catch (err) {
      expect((err as InvalidTokenError).headers['WWW-Authenticate']).toBe(
        'Bearer realm="shop", error="invalid_token", error_description="Invalid access token"',
      );
    }
  });

  it('rejects an undecodable or hostile cookie value as invalid_token, never a crash', () => {
    expect(() =>
      extractToken({ headers: { cookie: 'access_token=%E0%A4%A' } }, { allowCookie: true }),
    ).toThrow(InvalidTokenError);
  });
});

describe('readCookie', () => {
  it('returns a quoted value without its quotes and decodes percent escapes', () => {
    expect(readCookie('a="x%20y"', 'a')).toBe('x y');
  });

  it('returns undefined for an empty or absent cookie', () => {
    expect(readCookie('a=; b=2', 'a')).toBeUndefined();
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(readCookie('b=2', 'a')).toBeUndefined();
  });
});
