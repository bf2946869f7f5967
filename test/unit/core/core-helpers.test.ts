import {
  isIntegrityError,
  parseIntegrityError,
  parseIntegrityMessage,
} from '../../../lib/core/db-errors';
import {
  InsufficientScopeError,
  InvalidTokenError,
  ConfigurationError,
} from '../../../lib/core/errors';
import {
  createPkce,
  createState,
  hashToken,
  pkceChallenge,
  timingSafeEqualString,
} from '../../../lib/core/crypto-utils';
import { getOrderedRoles, isValidRoleAuth, requireRoleCheck, Roles } from '../../../lib/core/roles';
import {
  ValidationConstants as V,
  removeInvisibleChars,
} from '../../../lib/core/validation-constants';

describe('roles (Python RoleType semantics)', () => {
  it('orders roles highest first', () => {
    expect(getOrderedRoles()).toEqual(['superadmin', 'admin', 'writer', 'reader', 'user']);
    expect(Roles.ADMIN).toBe('admin');
  });

  it('isValidRoleAuth: current must have at least the limit privilege; unknown is false', () => {
    expect(isValidRoleAuth('superadmin', 'user')).toBe(true);
    expect(isValidRoleAuth('user', 'user')).toBe(true);
    expect(isValidRoleAuth('user', 'superadmin')).toBe(false);
    expect(isValidRoleAuth('god', 'user')).toBe(false);
    expect(isValidRoleAuth(undefined, 'user')).toBe(false);
  });

  it('requireRoleCheck: 401 without claims, 403 when too low, passes when enough', () => {
    const check = requireRoleCheck('admin');
    expect(() => check(undefined)).toThrow(InvalidTokenError);
    expect(() => check({ role: 'writer' })).toThrow(InsufficientScopeError);
    expect(() => check({ role: 'superadmin' })).not.toThrow();
    expect(() => requireRoleCheck('god' as 'admin')).toThrow(ConfigurationError);
  });
});

describe('validation constants (Python pinned examples)', () => {
  it.each([
    ['HOST_REGEX', ['localhost', '192.168.1.1', 'example.com'], ['http://example.com']],
    [
      'HTTP_HOST_REGEX',
      ['http://localhost', 'https://example.com', 'http://192.168.1.1:8080'],
      ['ftp://example.com', 'example.com'],
    ],
    ['URL_PATH_STR_REGEX', ['/api/v1', 'api', ''], ['/api v1']],
    ['KEY_REGEX', ['my_key-123'], ['my key']],
    ['SLUG_REGEX', ['my-stack-123'], ['My-Stack']],
    ['UNIX_PATH_REGEX', ['/static/assets'], ['relative/path']],
    ['FILE_PATH_REGEX', ['/static/path', 'C:/Users/project/static'], ['relative/path']],
    ['PASSWORD_REGEX', ['MyPassw0rd!'], ['Ab1!', 'MyPassword1']],
    [
      'SECRET_KEY_REGEX',
      ['Abcdef-1234_XYZ-abcdef-ghijkl-mn'],
      ['Abc-1d', 'Abcdef-xyzXYZ-abcdef-ghijkl-mnopq', 'Abcdef-1234_XYZ-abcdef-ghijkl-mn\n'],
    ],
    ['MYSQL_NAME_REGEX', ['my_db_1'], ['my-db']],
  ] as const)('%s', (name, good, bad) => {
    const re = V[name];
    for (const value of good) expect([value, re.test(value)]).toEqual([value, true]);
    for (const value of bad) expect([value, re.test(value)]).toEqual([value, false]);
  });

  it('removeInvisibleChars strips control and zero-width characters, keeps tabs and newlines', () => {
    expect(removeInvisibleChars('hello\x01world\u200b!')).toBe('helloworld!');
    expect(removeInvisibleChars('a\tb\nc\r')).toBe('a\tb\nc\r');
    expect(removeInvisibleChars('\ufeff\x7f')).toBe('');
    expect(removeInvisibleChars('')).toBe('');
  });
});

describe('crypto helpers', () => {
  it('hashToken is the sha256 hex of the token', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('createPkce gives a 43-char base64url verifier and pkceChallenge its S256 challenge', async () => {
    const verifier = createPkce();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createPkce()).not.toBe(verifier);
    // Independent implementation: WebCrypto digest, base64url without padding.
    const digest = await globalThis.crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode(verifier),
    );
    expect(pkceChallenge(verifier)).toBe(Buffer.from(digest).toString('base64url'));
    expect(pkceChallenge(verifier)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('createState is random and does not carry the PKCE verifier', () => {
    const verifier = createPkce();
    const state = createState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(state, 'base64url').toString('latin1')).not.toContain(verifier);
    expect(createState()).not.toBe(state);
  });

  it('timingSafeEqualString compares any lengths and never matches empty values', () => {
    expect(timingSafeEqualString('secret', 'secret')).toBe(true);
    expect(timingSafeEqualString('secret', 'secret2')).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(false);
    expect(timingSafeEqualString(undefined, 'x')).toBe(false);
  });
});

describe('parseIntegrityError (Python patterns and structured errors)', () => {
  it('parses MySQL 8 and MariaDB duplicate-key messages', () => {
    expect(
      parseIntegrityError({
        code: 'ER_DUP_ENTRY',
        sqlMessage: "Duplicate entry 'a@b.c' for key 'users.email'",
      }),
    ).toEqual([{ table: 'users', field_name: 'email', error: 'Duplicate entry already exists.' }]);
    expect(
      parseIntegrityError({
        code: 'ER_DUP_ENTRY',
        sqlMessage: "Duplicate entry 'a@b.c' for key 'email'",
      }),
    ).toEqual([{ table: null, field_name: 'email', error: 'Duplicate entry already exists.' }]);
  });

  it('parses structured pg errors and the Python message patterns, accumulating matches', () => {
    expect(
      parseIntegrityError({
        code: '23505',
        detail: 'Key (email)=(a@b.c) already exists.',
        table: 'users',
      }),
    ).toEqual([{ table: null, field_name: 'email', error: 'Duplicate entry already exists.' }]);
    expect(parseIntegrityError({ code: '23502', table: 'users', column: 'name' })).toEqual([
      { table: 'users', field_name: 'name', error: "Field 'name' cannot be null." },
    ]);
    expect(
      parseIntegrityMessage(
        "Duplicate entry 'x' for key 'users.email' Column 'name' cannot be null",
      ),
    ).toHaveLength(2);
    expect(parseIntegrityError(new Error('something else'))).toEqual([
      { table: null, field_name: null, error: 'Unknown database integrity error' },
    ]);
    expect(isIntegrityError({ code: 'ER_DUP_ENTRY' })).toBe(true);
    expect(isIntegrityError(new Error('x'))).toBe(false);
  });
});
