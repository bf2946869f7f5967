import Joi from 'joi';
import { Client } from 'pg';
import mysql from 'mysql2/promise';
import {
  ConfigurationError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  StoreUnavailableError,
} from '../../../lib/core/errors';
import { toErrorResponse, withRealm } from '../../../lib/core/error-response';
import type { Logger } from '../../../lib/core/types';
import { describeWithService, services } from '../../helpers/services';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
  };
}

describe('toErrorResponse: auth errors', () => {
  it('maps a missing token to 401 with a bare challenge and the Python body shape', () => {
    const res = toErrorResponse(new InvalidTokenError('Access token missing', 'missing'));
    expect(res.status).toBe(401);
    expect(res.headers['WWW-Authenticate']).toBe('Bearer realm="api"');
    expect(res.body).toEqual({
      success: false,
      msg: 'Access token missing',
      from_error: 'InvalidTokenError',
      errors: [{ table: null, field_name: null, error: 'missing' }],
      status_code: 401,
    });
  });

  it('maps an expired token to 401 invalid_token with the reason in errors', () => {
    const res = toErrorResponse(new InvalidTokenError('Access token expired', 'expired'), {
      realm: 'shop',
    });
    expect(res.status).toBe(401);
    expect(res.headers['WWW-Authenticate']).toBe(
      'Bearer realm="shop", error="invalid_token", error_description="Access token expired"',
    );
    expect(res.body.errors[0].error).toBe('expired');
  });

  it('maps a role too low to 403 insufficient_scope', () => {
    const res = toErrorResponse(new InsufficientScopeError('Insufficient role', 'admin'), {
      realm: 'r',
    });
    expect(res.status).toBe(403);
    expect(res.headers['WWW-Authenticate']).toBe(
      'Bearer realm="r", error="insufficient_scope", error_description="Insufficient role"',
    );
    expect(res.body).toMatchObject({ from_error: 'InsufficientScopeError', status_code: 403 });
  });

  it('maps an invalid request to 400 invalid_request', () => {
    const res = toErrorResponse(new InvalidRequestError('More than one method'));
    expect(res.status).toBe(400);
    expect(res.headers['WWW-Authenticate']).toContain('error="invalid_request"');
  });

  it('maps an outage to 503 with Retry-After and no store detail in the body', () => {
    const logger = recordingLogger();
    const err = new StoreUnavailableError('redis timeout at 10.0.0.7:6379', 'redis', {
      retryAfterSeconds: 7,
    });
    const res = toErrorResponse(err, { logger });
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('7');
    expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
    expect(res.body.msg).toBe('Service temporarily unavailable. Retry later.');
    expect(logger.lines.join('\n')).toContain('10.0.0.7');
  });

  it('answers a configuration error with a bare 500 and logs it', () => {
    const logger = recordingLogger();
    const res = toErrorResponse(new ConfigurationError('ACCESS_SECRET_KEY is weak'), { logger });
    expect(res.status).toBe(500);
    expect(res.body.msg).toBe('An unexpected error occurred.');
    expect(JSON.stringify(res)).not.toContain('ACCESS_SECRET_KEY');
    expect(logger.lines[0]).toContain('ACCESS_SECRET_KEY is weak');
  });
});

describe('toErrorResponse: everything else', () => {
  it('maps a joi ValidationError to 400 "Validation error." with field errors', () => {
    const schema = Joi.object({ email: Joi.string().email().required(), age: Joi.number() });
    const { error } = schema.validate({ age: 'x' }, { abortEarly: false });
    const res = toErrorResponse(error);
    expect(res.status).toBe(400);
    expect(res.body.msg).toBe('Validation error.');
    expect(res.body.from_error).toBe('ValidationError');
    expect(res.body.errors.map((e) => e.field_name).sort()).toEqual(['age', 'email']);
  });

  it('maps a malformed JSON body (body-parser) to 400 without echoing the body', () => {
    const err = Object.assign(new SyntaxError('Unexpected token s in JSON: secret-password'), {
      type: 'entity.parse.failed',
      status: 400,
      body: '{secret-password',
    });
    const res = toErrorResponse(err);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res)).not.toContain('secret-password');
  });

  it('maps an oversized body to 413', () => {
    const err = Object.assign(new Error('request entity too large'), {
      type: 'entity.too.large',
      status: 413,
    });
    expect(toErrorResponse(err).status).toBe(413);
  });

  it('keeps the status of another client error but sends the standard phrase', () => {
    const err = Object.assign(new Error('not here: /srv/app/secret.txt'), { status: 404 });
    const res = toErrorResponse(err);
    expect(res.status).toBe(404);
    expect(res.body.msg).toBe('Not Found.');
  });

  it('answers anything else with 500 and no detail, and logs the stack', () => {
    const logger = recordingLogger();
    const err = new TypeError('cannot read x of undefined at /srv/app/lib/secret.ts:10');
    const res = toErrorResponse(err, { logger });
    expect(res).toEqual({
      status: 500,
      headers: {},
      body: {
        success: false,
        msg: 'An unexpected error occurred.',
        from_error: 'Exception',
        errors: [],
        status_code: 500,
      },
    });
    expect(logger.lines[0]).toContain('/srv/app/lib/secret.ts');
  });

  it('never throws, whatever is thrown', () => {
    for (const value of [undefined, null, 42, 'text', Symbol('s'), { status: 'x' }, [1], () => 1]) {
      expect(toErrorResponse(value).status).toBe(500);
    }
  });
});

describe('withRealm', () => {
  it('re-issues the challenge in the given realm and keeps reason and message', () => {
    const err = withRealm(new InvalidTokenError('Token revoked', 'revoked'), 'billing');
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect((err as InvalidTokenError).reason).toBe('revoked');
    expect(err.headers['WWW-Authenticate']).toContain('realm="billing"');
  });
});

describeWithService('postgres', 'toErrorResponse: a real Postgres integrity error', () => {
  it('maps a duplicate key to 400 with the parsed field', async () => {
    const client = new Client(services.postgres);
    await client.connect();
    try {
      await client.query('CREATE TEMP TABLE er_users (email text UNIQUE)');
      await client.query("INSERT INTO er_users VALUES ('a@example.com')");
      const err = await client
        .query("INSERT INTO er_users VALUES ('a@example.com')")
        .catch((e: unknown) => e);
      const res = toErrorResponse(err);
      expect(res.status).toBe(400);
      expect(res.body.msg).toBe(
        'Database integrity error: Possibly duplicate entry or invalid reference.',
      );
      expect(res.body.from_error).toBe('IntegrityError');
      expect(res.body.errors[0]).toMatchObject({ field_name: 'email' });
    } finally {
      await client.end();
    }
  });
});

describeWithService('mysql', 'toErrorResponse: a real MySQL integrity error', () => {
  it('maps a duplicate entry to 400 "Database integrity error"', async () => {
    const conn = await mysql.createConnection(services.mysql);
    try {
      await conn.query('CREATE TEMPORARY TABLE er_users (email VARCHAR(64) UNIQUE KEY)');
      await conn.query("INSERT INTO er_users VALUES ('a@example.com')");
      const err = await conn
        .query("INSERT INTO er_users VALUES ('a@example.com')")
        .catch((e: unknown) => e);
      const res = toErrorResponse(err);
      expect(res.status).toBe(400);
      expect(res.body.msg).toBe(
        'Database integrity error: Possibly duplicate entry or invalid reference.',
      );
      expect(res.body.from_error).toBe('IntegrityError');
      expect(res.body.errors).toHaveLength(1);
    } finally {
      await conn.end();
    }
  });
});
