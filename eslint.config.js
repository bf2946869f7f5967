import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Layers: core ← security ← adapters (express, passport, …), metrics, events, stores. Each
// layer says what it MAY import (an allow-list): other layers of this package, and framework
// or client packages. Anything else is reported, relative paths and type imports included, so
// a new folder is covered by adding its own line here. A folder without a line falls under its
// parent's (`lib`, `stores`): the framework-free root, core and security only.
const layers = {
  'lib/core': { layers: [] },
  'lib/security': { layers: ['lib/core'] },
  // The one file that loads the OpenTelemetry API (fail-soft: the root entry loads without it).
  'lib/security/tracing/api.ts': {
    layers: ['lib/core', 'lib/security'],
    packages: ['@opentelemetry/api'],
  },
  'lib/express': { layers: ['lib/core', 'lib/security'], packages: ['express'] },
  'lib/fastify': { layers: ['lib/core', 'lib/security'], packages: ['fastify', 'fastify-plugin'] },
  'lib/passport': { layers: ['lib/core', 'lib/security'], packages: ['passport', 'express'] },
  'lib/nest': {
    layers: ['lib/core', 'lib/security'],
    packages: ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'],
  },
  'lib/metrics': { layers: ['lib/core', 'lib/security'], packages: ['prom-client', 'express'] },
  'lib/events': { layers: ['lib/core', 'lib/security'], packages: ['redis'] },
  // The CLI is an application on top of the library: it prints the SQL stores' schema.
  'lib/cli': { layers: ['lib/core', 'lib/security', 'stores/sql'] },
  lib: { layers: ['lib/core', 'lib/security'] },
  'stores/memory': { layers: ['lib/core', 'lib/security', 'stores'] },
  'stores/redis': { layers: ['lib/core', 'lib/security', 'stores'], packages: ['redis'] },
  'stores/sql': { layers: ['lib/core', 'lib/security', 'stores'], packages: ['pg', 'mysql2'] },
  stores: { layers: ['lib/core', 'lib/security'] },
};
// Never HTTP code in a store, whatever its line says.
const storesNeverImport = ['lib/security/http', 'lib/security/flows'];

const root = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
/** Packages every layer may import: Node's own modules and the package's runtime dependencies. */
const everywhere = new Set([
  ...builtinModules,
  ...Object.keys(require('./package.json').dependencies ?? {}),
]);
const layerNames = Object.keys(layers).sort((a, b) => b.length - a.length);

/** The layer a path (relative to the root, `/`-separated) belongs to: its longest listed prefix. */
function layerOf(file) {
  return layerNames.find((name) => file === name || file.startsWith(`${name}/`));
}

function packageOf(specifier) {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const allowedImports = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      layer: '{{from}} may not import {{target}}: it may import only {{allowed}}.',
      package: '{{from}} may not import the package {{target}}: it may import only {{allowed}}.',
      storeHttp: 'Stores never import HTTP code ({{target}}).',
    },
  },
  create(context) {
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const from = layerOf(file);
    if (from === undefined) return {};
    const rule = layers[from];
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) {
        const target = path
          .relative(root, path.resolve(path.dirname(context.filename), specifier))
          .split(path.sep)
          .join('/');
        if (from.startsWith('stores') && storesNeverImport.some((p) => target.startsWith(p))) {
          context.report({ node, messageId: 'storeHttp', data: { target } });
          return;
        }
        const to = layerOf(target);
        if (to === undefined || to === from || rule.layers.includes(to)) return;
        const allowed = rule.layers.length > 0 ? rule.layers.join(', ') : 'nothing of this package';
        context.report({ node, messageId: 'layer', data: { from, target: to, allowed } });
        return;
      }
      const name = packageOf(specifier);
      if (everywhere.has(name) || (rule.packages ?? []).includes(name)) return;
      const allowed = ['node builtins', ...everywhere, ...(rule.packages ?? [])]
        .filter((n) => !builtinModules.includes(n))
        .join(', ');
      context.report({ node, messageId: 'package', data: { from, target: name, allowed } });
    };
    const fromSource = (node) => check(node.source, node.source?.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: (node) => node.source && fromSource(node),
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

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
  {
    files: ['lib/**/*.ts', 'stores/**/*.ts'],
    plugins: { layers: { rules: { 'allowed-imports': allowedImports } } },
    rules: { 'layers/allowed-imports': 'error' },
  },
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
