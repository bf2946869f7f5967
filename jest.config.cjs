/** Jest runs the TypeScript sources through SWC (type checking is `npm run typecheck`). */
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
  ],
};
// jose 6 ships ESM only: let SWC turn it into CommonJS for Jest instead of failing to load.
const transformIgnorePatterns = ['/node_modules/(?!(jose)/)'];

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
