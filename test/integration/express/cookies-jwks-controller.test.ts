import express from 'express';
import http from 'node:http';
import request from 'supertest';
import Joi from 'joi';
import { BaseController, clearAuthCookies, jwksRouter, setAuthCookies } from '../../../lib/express';
import { ConfigurationError, InvalidTokenError } from '../../../lib/core/errors';
import { expectAuthFailure } from '../../helpers/auth-failure';
import { quietLogger } from './auth-fixture';

const settings = {
  ACCESS_TOKEN_EXPIRE_MINUTES: 15,
  REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 86_400,
  SESSION_COOKIE_SECURE: true,
};
const pair = { access_token: 'aaa.bbb.ccc', refresh_token: 'ddd.eee.fff' };

/** A Set-Cookie value as `name=value` plus its attributes in a fixed order (order carries no meaning). */
function parts(cookie: string): string[] {
  const [first, ...attributes] = cookie.split('; ');
  return [first!, ...attributes.sort()];
}

describe('setAuthCookies / clearAuthCookies', () => {
  it('sets HttpOnly, Secure, SameSite=Lax cookies with Max-Age from the settings', async () => {
    const app = express();
    app.get('/login', (_req, res) => {
      setAuthCookies(res, pair, settings);
      res.json({ ok: true });
    });
    const res = await request(app).get('/login');
    const cookies = res.headers['set-cookie'] as unknown as string[];
    expect(cookies.map(parts)).toEqual([
      parts('access_token=aaa.bbb.ccc; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax'),
      parts(
        'refresh_token=ddd.eee.fff; Path=/auth/refresh; Max-Age=86400; HttpOnly; Secure; SameSite=Lax',
      ),
    ]);
  });

  it('omits Secure when SESSION_COOKIE_SECURE is false and scopes the refresh path as asked', async () => {
    const app = express();
    app.get('/login', (_req, res) => {
      setAuthCookies(
        res,
        pair,
        { ...settings, SESSION_COOKIE_SECURE: false },
        {
          refreshPath: '/api/v1/auth',
          sameSite: 'Strict',
        },
      );
      res.end();
    });
    const cookies = (await request(app).get('/login')).headers['set-cookie'] as unknown as string[];
    expect(cookies[0]).not.toContain('Secure');
    expect(parts(cookies[1]!)).toContain('Path=/api/v1/auth');
    expect(cookies[1]).toContain('SameSite=Strict');
  });

  it('adds a readable double-submit cookie when csrf is on and returns its value', async () => {
    let token: string | undefined;
    const app = express();
    app.get('/login', (_req, res) => {
      token = setAuthCookies(res, pair, settings, { csrf: true }).csrfToken;
      res.end();
    });
    const cookies = (await request(app).get('/login')).headers['set-cookie'] as unknown as string[];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parts(cookies[2]!)).toEqual(
      parts(`csrf_token=${token}; Path=/; Max-Age=86400; Secure; SameSite=Lax`),
    );
  });

  it('refuses SameSite=None without Secure', () => {
    const res = new http.ServerResponse(new http.IncomingMessage(null as any));
    expect(() =>
      setAuthCookies(
        res,
        pair,
        { ...settings, SESSION_COOKIE_SECURE: false },
        { sameSite: 'None' },
      ),
    ).toThrow(ConfigurationError);
  });

  it('clears both cookies on their own paths', async () => {
    const app = express();
    app.get('/logout', (_req, res) => {
      clearAuthCookies(res, settings);
      res.end();
    });
    const cookies = (await request(app).get('/logout')).headers[
      'set-cookie'
    ] as unknown as string[];
    expect(parts(cookies[0]!)).toEqual(
      parts(
        'access_token=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
      ),
    );
    expect(parts(cookies[1]!)).toEqual(
      expect.arrayContaining(['refresh_token=', 'Path=/auth/refresh', 'Max-Age=0']),
    );
  });
});

describe('jwksRouter', () => {
  const jwks = {
    keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1', use: 'sig', alg: 'ES256' }],
  };

  it('serves GET /.well-known/jwks.json with Cache-Control public, max-age=300', async () => {
    const app = express();
    app.use(jwksRouter({ jwks: () => jwks }));
    const res = await request(app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(jwks);
  });

  it('answers HEAD without a body and passes other paths and methods through', async () => {
    const app = express();
    app.use(jwksRouter({ jwks: async () => jwks }));
    app.use((_req, res) => {
      res.status(404).json({ passed: true });
    });
    const head = await request(app).head('/.well-known/jwks.json');
    expect(head.status).toBe(200);
    expect(head.text).toBeUndefined();
    expect((await request(app).post('/.well-known/jwks.json')).body).toEqual({ passed: true });
    expect((await request(app).get('/other')).body).toEqual({ passed: true });
  });
});

describe('BaseController.handleException', () => {
  class UsersController extends BaseController {
    rolledBack = 0;

    async create(body: unknown, res: http.ServerResponse): Promise<void> {
      try {
        Joi.attempt(body, Joi.object({ email: Joi.string().email().required() }));
        throw new Error('insert failed: connection to 10.1.2.3 lost');
      } catch (err) {
        await this.handleException(err, res, {
          rollback: async () => {
            this.rolledBack += 1;
          },
        });
      }
    }
  }

  it('rolls back, then answers a validation error with a REAL 400 (Python always sent 500)', async () => {
    const controller = new UsersController({ logger: quietLogger });
    const app = express();
    app.use(express.json());
    app.post('/users', (req, res) => controller.create(req.body, res));
    const res = await request(app).post('/users').send({ email: 'nope' });
    expectAuthFailure(res, {
      status: 400,
      challenge: null,
      bodyMatches: {
        success: false,
        msg: 'Validation error.',
        from_error: 'ValidationError',
        status_code: 400,
      },
    });
    expect(res.body.errors[0].field_name).toBe('email');
    expect(controller.rolledBack).toBe(1);
  });

  it('answers an unexpected error with 500 and no detail, after rolling back', async () => {
    const controller = new UsersController({ logger: quietLogger });
    const app = express();
    app.use(express.json());
    app.post('/users', (req, res) => controller.create(req.body, res));
    const res = await request(app).post('/users').send({ email: 'a@example.com' });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('10.1.2.3');
    expect(controller.rolledBack).toBe(1);
  });

  it('still answers when the rollback itself fails', async () => {
    const errors: string[] = [];
    const controller = new BaseController({
      logger: { warn: () => undefined, error: (m) => void errors.push(m) },
    });
    const app = express();
    app.get('/x', async (_req, res) => {
      await controller.handleException(new InvalidTokenError('Token revoked', 'revoked'), res, {
        rollback: () => Promise.reject(new Error('rollback broke')),
      });
    });
    const res = await request(app).get('/x');
    expectAuthFailure(res, { status: 401, challenge: { includes: 'error="invalid_token"' } });
    expect(errors[0]).toContain('rollback broke');
  });
});
