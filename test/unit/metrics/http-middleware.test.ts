import { normalizePath } from '../../../lib/metrics/http-middleware';

describe('normalizePath (segment-anchored id replacement)', () => {
  it.each([
    ['/items/0b7e4bbe-6f6c-4d6b-9a43-1f3a7c1d2e9f', '/items/{id}'],
    ['/items/0B7E4BBE-6F6C-4D6B-9A43-1F3A7C1D2E9F/parts/42', '/items/{id}/parts/{id}'],
    ['/users/42', '/users/{id}'],
    ['/2fa', '/2fa'],
    ['/v1/users', '/v1/users'],
    [
      '/items/0b7e4bbe-6f6c-4d6b-9a43-1f3a7c1d2e9fx',
      '/items/0b7e4bbe-6f6c-4d6b-9a43-1f3a7c1d2e9fx',
    ],
    ['/', '/'],
    ['/a/12b', '/a/12b'],
  ])('maps %j to %j', (path, label) => {
    expect(normalizePath(path)).toBe(label);
  });
});
