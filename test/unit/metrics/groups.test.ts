import { normalizePrefix, resolveGroups } from '../../../lib/metrics/groups';

describe('resolveGroups (Python _resolve_groups)', () => {
  it.each([
    ['all', 5],
    ['ALL', 5],
    ['Traffic', 1],
    ['traffic, performance', 2],
    ['nope', 0],
    ['traffic,nope', 1],
    ['', 0],
    ['traffic,ALL', 5],
  ])('resolves %j to %i groups', (value, size) => {
    expect(resolveGroups(value).size).toBe(size);
  });

  it('accepts a list and defaults to every group', () => {
    expect([...resolveGroups(['Health', ' auth '])].sort()).toEqual(['auth', 'health']);
    expect(resolveGroups().size).toBe(5);
  });
});

describe('normalizePrefix (Python _norm_prefix, made safe)', () => {
  it.each([
    ['/user', 'user_'],
    ['/api/v1', 'api_v1_'],
    ['/my-service', 'my_service_'],
    ['', ''],
    ['/', ''],
    [' /api ', 'api_'],
    ['/v1.2~x', 'v1_2_x_'],
    ['/2024/api', '_2024_api_'],
  ])('normalizes %j to %j', (prefix, expected) => {
    expect(normalizePrefix(prefix)).toBe(expected);
  });

  it('always yields a valid Prometheus metric name prefix', () => {
    for (const prefix of ['/ä/ö', '/a b', '/ü-1.0', '/1', '/$$']) {
      expect(`${normalizePrefix(prefix)}http_requests_total`).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    }
  });
});
