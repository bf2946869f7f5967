/**
 * Jest runs the TypeScript sources through SWC (type checking is `npm run typecheck`). Nest
 * test apps use decorators and inject by type, as Nest apps compile them: TypeScript's legacy
 * decorators with their metadata.
 */
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
      module: { type: 'commonjs' },
    },
  ],
};
// jose 6 and cookie 2 (under light-my-request, Fastify's inject) ship ESM only: let SWC turn
// them into CommonJS for Jest instead of failing to load.
const transformIgnorePatterns = [
  '^(?!.*/node_modules/light-my-request/node_modules/cookie/).*/node_modules/(?!jose/)',
];

// The package's own names (what the examples and README import) resolve to the sources, as
// tsconfig.json's `paths` do for tsc and tsx.
const { compilerOptions } = require('./tsconfig.json');
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [
    `^${name.replace(/[/.-]/g, (c) => `\\${c}`)}$`,
    `<rootDir>/${target.replace(/^\.\//, '')}`,
  ]),
);

const common = { transform, transformIgnorePatterns, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  testTimeout: 30000,
  // Jest's default on a 2-core machine is one worker (cores - 1), yet most suites wait on a
  // server, a child process or a socket: one worker per core keeps both busy. Three workers
  // finished sooner but overloaded the machine: healthy stores missed their timeouts.
  maxWorkers: '100%',
  // Coverage (`npx jest --coverage`, run by .ci/run; `npm test` runs the same suite without it):
  // V8's own counters, over the shipped code.
  coverageProvider: 'v8',
  collectCoverageFrom: [
    'lib/**/*.ts',
    'stores/**/*.ts',
    '!lib/cli/**',
    '!**/*.d.ts',
    '!**/*.test.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  // The floor, a few points under what the whole suite reaches (96.7 % lines and statements,
  // 91.1 % branches, 96.9 % functions): `npx jest --coverage` fails below it. Raise it as tests
  // grow; never lower it to let a change through.
  coverageThreshold: {
    global: { statements: 94, lines: 94, branches: 89, functions: 94 },
  },
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'contract',
      testMatch: ['<rootDir>/test/contract/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'package',
      testMatch: ['<rootDir>/test/package/**/*.test.ts'],
    },
  ],
};
