/**
 * A suite whose server is absent is reported as skipped on a laptop (never as a passing
 * placeholder) and fails under CI.
 */
import { registerServiceSuite } from '../../helpers/services';
import type { ServiceSuite } from '../../helpers/services';

function record(reachable: boolean, ci: boolean) {
  const calls: Array<{ kind: 'describe' | 'skip'; title: string; body: () => void }> = [];
  const warnings: string[] = [];
  const body = jest.fn();
  const suite: ServiceSuite = {
    name: 'redis',
    title: 'Redis stores',
    body,
    reachable,
    ci,
    api: {
      describe: (title, b) => void calls.push({ kind: 'describe', title, body: b }),
      skip: (title, b) => void calls.push({ kind: 'skip', title, body: b }),
    },
    warn: (message) => void warnings.push(message),
  };
  registerServiceSuite(suite);
  return { calls, warnings, body };
}

describe('registerServiceSuite', () => {
  it.each([false, true])('runs the suite normally when the server answers (CI=%s)', (ci) => {
    const { calls, warnings, body } = record(true, ci);
    expect(calls).toEqual([{ kind: 'describe', title: 'Redis stores', body }]);
    expect(warnings).toEqual([]);
  });

  it('registers the real suite with describe.skip outside CI, with a warning', () => {
    const { calls, warnings, body } = record(false, false);
    expect(calls).toEqual([{ kind: 'skip', title: 'Redis stores', body }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SKIPPING "Redis stores": redis is not reachable at');
  });

  it('registers a failing test under CI instead of skipping', () => {
    const { calls, body } = record(false, true);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.kind).toBe('describe');
    expect(calls[0]!.body).not.toBe(body);
    // Run the registered block with a fake `it` to get at the test it declares.
    const tests: Array<[string, () => void]> = [];
    const realIt = global.it;
    global.it = ((title: string, fn: () => void) => void tests.push([title, fn])) as never;
    try {
      calls[0]!.body();
    } finally {
      global.it = realIt;
    }
    expect(tests.map(([title]) => title)).toEqual(['requires redis (CI=true)']);
    expect(tests[0]![1]).toThrow('redis is not reachable at');
    expect(body).not.toHaveBeenCalled();
  });
});
