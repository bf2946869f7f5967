import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Layers: core ← security ← adapters (express, passport), metrics, events, stores. A layer
// imports only the layers below it; adapters, metrics, events and stores never import each
// other, and stores never import HTTP code. Relative paths are checked as well as packages.
const clientPackages = [
  'express',
  'passport',
  'passport-jwt',
  'redis',
  'pg',
  'mysql2',
  'prom-client',
  'koa',
];

/** A relative import reaching into one of `folders` (a path segment, at any depth). */
function relativeInto(folders) {
  return `^\\.\\.?/(.*/)?(${folders.join('|')})(/|$)`;
}

function layer(files, { packages = [], folders = [], message }) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: packages.map((name) => ({ name, message })),
          patterns: [
            ...packages.map((name) => ({ group: [`${name}/*`], message })),
            ...(folders.length > 0 ? [{ regex: relativeInto(folders), message }] : []),
          ],
        },
      ],
    },
  };
}

const layers = [
  layer(['lib/core/**'], {
    packages: clientPackages,
    folders: ['security', 'express', 'passport', 'metrics', 'events', 'cli', 'stores'],
    message: 'lib/core is the bottom layer: it imports no other layer, framework or client.',
  }),
  layer(['lib/security/**'], {
    packages: clientPackages,
    folders: ['express', 'passport', 'metrics', 'events', 'cli', 'stores/(memory|redis|sql)'],
    message: 'lib/security imports only lib/core: no framework, client, adapter or store.',
  }),
  layer(['lib/express/**'], {
    folders: ['passport', 'metrics', 'events', 'cli', 'stores/(memory|redis|sql)'],
    message:
      'lib/express imports only lib/core and lib/security (adapters never import each other).',
  }),
  layer(['lib/passport/**'], {
    folders: ['express', 'metrics', 'events', 'cli', 'stores/(memory|redis|sql)'],
    message:
      'lib/passport imports only lib/core and lib/security (adapters never import each other).',
  }),
  layer(['lib/metrics/**'], {
    folders: ['express', 'passport', 'events', 'cli', 'stores/(memory|redis|sql)'],
    message: 'lib/metrics imports only lib/core and lib/security.',
  }),
  layer(['lib/events/**'], {
    folders: ['express', 'passport', 'metrics', 'cli', 'stores/(memory|redis|sql)'],
    message: 'lib/events imports only lib/core and lib/security.',
  }),
  layer(['stores/**'], {
    packages: ['express', 'passport', 'koa'],
    folders: ['express', 'passport', 'metrics', 'events', 'cli', 'http'],
    message: 'Stores import only lib/core and lib/security, never HTTP code.',
  }),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test/package/.work/**',
      'test/package/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layers,
  {
    files: ['lib/**', 'stores/**'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['test/**', 'bench/**', 'examples/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
