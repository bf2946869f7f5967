/**
 * The layer rules of eslint.config.js (one allow-list per layer), shown firing: each case
 * lints one import as if it were written in a given file, through the project's own ESLint
 * configuration. Folders that no rule names yet (`lib/hono`, `stores/dynamodb`) are covered too.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

const forbidden: Array<[string, string]> = [
  ['lib/passport/x.ts', "import '../express/authenticate';"],
  ['lib/express/x.ts', "import '../passport/jwt-strategy';"],
  ['lib/express/x.ts', "import '../../stores/memory';"],
  ['lib/core/x.ts', "import '../security/store-contracts';"],
  ['lib/core/settings/x.ts', "import type { FailureMode } from '../../security/types';"],
  ['lib/security/x.ts', "import '../express/authenticate';"],
  ['lib/security/x.ts', "import '../../stores/redis';"],
  ['lib/security/x.ts', "import 'express';"],
  ['lib/metrics/x.ts', "import '../events/event-bus';"],
  ['lib/events/x.ts', "import '../metrics/setup';"],
  ['stores/redis/x.ts', "import '../../lib/express/authenticate';"],
  ['stores/sql/x.ts', "import '../../lib/security/http/cookies';"],
  ['stores/memory/x.ts', "import '../../lib/security/flows/auth-flows';"],
  ['lib/core/x.ts', "import 'redis';"],
  ['lib/express/x.ts', "import 'passport';"],
  ['lib/security/x.ts', "import type { FastifyInstance } from 'fastify';"],
  // Only the tracing module may load the OpenTelemetry API (the root entry loads without it).
  ['lib/security/token-policy.ts', "import { trace } from '@opentelemetry/api';"],
  ['lib/security/tracing/spans.ts', "import type { Span } from '@opentelemetry/api';"],
  ['lib/security/http/x.ts', "const api = import('@opentelemetry/api');"],
  ['stores/redis/x.ts', "import type { Span } from '@opentelemetry/api';"],
  ['lib/x.ts', "export * from './express';"],
  ['lib/nest/x.ts', "import '../express/error-handler';"],
  ['lib/nest/x.ts', "import '../passport/jwt-strategy';"],
  ['lib/nest/x.ts', "import { AuthGuard } from '@nestjs/passport';"],
  ['lib/nest/x.ts', "import type { Request } from 'express';"],
  ['lib/fastify/x.ts', "import '../express/jwks-router';"],
  ['lib/fastify/x.ts', "import 'express';"],
  ['lib/express/x.ts', "import 'fastify-plugin';"],
  // Folders no rule names yet: they fall under their parent's line, with no edit to any rule.
  ['lib/hono/x.ts', "import '../express/authenticate';"],
  ['lib/hono/x.ts', "import 'hono';"],
  ['stores/dynamodb/x.ts', "import '../../lib/express/authenticate';"],
  ['stores/dynamodb/x.ts', "import '../redis/keys';"],
];
const allowed: Array<[string, string]> = [
  ['lib/passport/x.ts', "import '../security/http/request-authenticator';"],
  ['lib/passport/x.ts', "import type { Request } from 'express';"],
  ['lib/express/x.ts', "import '../core/errors';"],
  ['lib/security/http/x.ts', "import '../store-contracts';"],
  ['lib/core/settings/x.ts', "import '../failure-mode';"],
  ['stores/redis/x.ts', "import '../../lib/security/store-contracts';"],
  ['stores/redis/x.ts', "import '../session-fields';"],
  ['stores/sql/postgres/x.ts', "import '../dialect';"],
  ['stores/sql/x.ts', "import type { Pool } from 'pg';"],
  ['lib/events/x.ts', "import { createClient } from 'redis';"],
  ['lib/core/x.ts', "import { readFile } from 'node:fs/promises';"],
  ['lib/security/x.ts', "import Joi from 'joi';"],
  ['lib/cli/x.ts', "import '../../stores/sql/schema';"],
  ['lib/hono/x.ts', "import '../security/http/request-authenticator';"],
  ['lib/nest/x.ts', "import { Injectable } from '@nestjs/common';"],
  ['lib/nest/x.ts', "import { Reflector } from '@nestjs/core';"],
  ['lib/nest/x.ts', "import '../security/flows/auth-flows';"],
  ['lib/security/tracing/api.ts', "const api = import('@opentelemetry/api');"],
  ['lib/security/tracing/api.ts', "import type { Span } from '@opentelemetry/api';"],
  ['stores/redis/x.ts', "import { setTraceAttributes } from '../../lib/security/tracing';"],
  ['lib/fastify/x.ts', "import fp from 'fastify-plugin';"],
  ['lib/fastify/x.ts', "import type { FastifyInstance } from 'fastify';"],
  ['lib/fastify/x.ts', "import '../security/http/flow-routes';"],
];

// ESLint loads its (ESM) config by dynamic import, which Jest's VM cannot: lint every case
// in one child process through the project's own configuration.
const script = `
const { ESLint } = require('eslint');
const cases = JSON.parse(process.argv[1]);
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const [file, source] of cases) {
    const [result] = await eslint.lintText(source + '\\nexport {};\\n', { filePath: file });
    out.push(result.messages.filter((m) => m.ruleId === 'layers/allowed-imports').length);
  }
  console.log(JSON.stringify(out));
})();
`;
let verdicts: number[] = [];
beforeAll(() => {
  const cases = [...forbidden, ...allowed].map(([file, source]) => [path.join(root, file), source]);
  verdicts = JSON.parse(
    execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as number[];
}, 60_000);

async function restricted(file: string, source: string): Promise<unknown[]> {
  const all = [...forbidden, ...allowed];
  const index = all.findIndex(([f, s]) => f === file && s === source);
  return Array.from({ length: verdicts[index]! });
}

describe('layer rules (lint)', () => {
  it.each(forbidden)('%s may not %s', async (file, source) => {
    expect(await restricted(file, source)).toHaveLength(1);
  });

  it.each(allowed)('%s may %s', async (file, source) => {
    // toHaveLength, not toEqual([]): toEqual ignores undefined array items, so it never failed.
    expect(await restricted(file, source)).toHaveLength(0);
  });
});
