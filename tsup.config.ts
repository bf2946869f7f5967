import { defineConfig } from 'tsup';

// One entry per public subpath. Optional integrations stay external so that
// importing `auth-sdk-m8` never loads express, redis, pg, mysql2 or prom-client.
export default defineConfig({
  entry: {
    index: 'lib/index.ts',
    schemas: 'lib/schemas.ts',
    http: 'lib/http.ts',
    express: 'lib/express/index.ts',
    fastify: 'lib/fastify/index.ts',
    passport: 'lib/passport/index.ts',
    metrics: 'lib/metrics/index.ts',
    events: 'lib/events/index.ts',
    'stores/memory': 'stores/memory/index.ts',
    'stores/redis': 'stores/redis/index.ts',
    'stores/postgres': 'stores/sql/postgres/index.ts',
    'stores/mysql': 'stores/sql/mysql/index.ts',
    cli: 'lib/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  shims: true,
});
