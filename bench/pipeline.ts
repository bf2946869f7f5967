/**
 * The in-process cost of `authenticate()`: the Express middleware called directly (no HTTP),
 * HS256 with the verified-token cache and a stateful policy over a memory revocation store,
 * so the pipeline, validation, the revocation check and the guarded store call all run. Once
 * with no tracer provider registered (tracing off), with the SDK's context manager alone (what
 * AsyncLocalStorage costs, spans or not), then with the OpenTelemetry SDK registered (spans
 * dropped by a no-op processor, or kept by the in-memory exporter). Interleaved rounds;
 * the median µs per request of wall time and of this process's CPU time (which the load of a
 * shared machine moves less), and how many spans each request made.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { NextFunction, Request, Response } from 'express';
import { authenticate } from '../lib/express';
import { TokenPolicy } from '../lib/security/token-policy';
import { TokenValidator } from '../lib/security/token-validator';
import { tracingApiLoaded } from '../lib/security/tracing';
import { createValidationConfig } from '../lib/security/validation-config';
import { MemoryRevocationStore } from '../stores/memory';
import { AUDIENCE, ISSUER, keysFor, tokensFor } from './keys';
import {
  QUICK,
  compare,
  fmt,
  measureAsync,
  median,
  table,
  writeResult,
  type Contender,
} from './lib';

export interface PipelineResult {
  /** Median µs per request, by contender: wall time, and this process's CPU time. */
  microsPerRequest: Record<string, number>;
  cpuMicrosPerRequest: Record<string, number>;
  spansPerRequest: Record<string, number>;
}

/** What a run registers: nothing, the context manager alone, or it and a tracer provider. */
type Setup = 'nothing' | 'context manager' | SpanProcessor;

/** Registers the SDK's parts (as an app does) for one run, then removes them. */
function withTracing(setup: Setup, run: () => Promise<number>) {
  return async (): Promise<number> => {
    if (setup === 'nothing') return run();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    if (setup !== 'context manager') {
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [setup] }));
    }
    try {
      return await run();
    } finally {
      trace.disable();
      context.disable();
    }
  };
}

export async function runPipeline(): Promise<{ result: PipelineResult; text: string }> {
  await tracingApiLoaded; // under tsx (ESM) the package imports the API in the background
  const keys = keysFor('HS256');
  const [token] = tokensFor(keys, 1);
  const policy = new TokenPolicy({
    validator: new TokenValidator({
      secret: { key: keys.verifyString, algorithm: 'HS256' },
      config: createValidationConfig({
        allowedAlgorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        requireIss: true,
        requireAud: true,
      }),
    }),
    revocationStore: new MemoryRevocationStore(),
    tokenMode: 'stateful',
  });
  const middleware = authenticate({ policy });
  const req = { method: 'GET', headers: { authorization: `Bearer ${token}` } } as Request;
  const res = {} as Response;
  const counted = { spans: 0, requests: 0 };
  const once = (): Promise<void> =>
    new Promise((resolve, reject) => {
      counted.requests += 1;
      const next: NextFunction = (err?: unknown) => (err ? reject(err) : resolve());
      middleware(req, res, next);
    });
  const exporter = new InMemorySpanExporter();
  const spanCounter = (processor: SpanProcessor): SpanProcessor => ({
    onStart: (span, parent) => processor.onStart(span, parent),
    onEnd: (span) => {
      counted.spans += 1;
      processor.onEnd(span);
      // Keep the exporter's memory flat over a long run; the spans were still exported.
      if (exporter.getFinishedSpans().length > 10_000) exporter.reset();
    },
    forceFlush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  });
  const contenders: Array<[string, Setup]> = [
    ['tracing off (no tracer provider)', 'nothing'],
    // What an app's SDK costs every promise (AsyncLocalStorage) before any span is made.
    ['context manager alone, no tracer provider', 'context manager'],
    ['tracing on, spans dropped (NoopSpanProcessor)', spanCounter(new NoopSpanProcessor())],
    ['tracing on, in-memory exporter', spanCounter(new SimpleSpanProcessor(exporter))],
  ];
  const spans = new Map<string, { spans: number; requests: number }>();
  const cpu = new Map<string, number[]>();
  const list: Contender[] = contenders.map(([name, setup]) => ({
    name,
    run: (ms) =>
      withTracing(setup, async () => {
        const before = { ...counted };
        const cpuBefore = process.cpuUsage();
        const ops = await measureAsync(() => once(), ms);
        const used = process.cpuUsage(cpuBefore);
        const requests = counted.requests - before.requests;
        cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / requests]);
        const seen = spans.get(name) ?? { spans: 0, requests: 0 };
        seen.spans += counted.spans - before.spans;
        seen.requests += requests;
        spans.set(name, seen);
        return ops;
      })(),
  }));
  const rounds = QUICK ? 3 : 7;
  const medians = await compare(list, rounds, QUICK ? 200 : 300);
  const microsPerRequest: Record<string, number> = {};
  const spansPerRequest: Record<string, number> = {};
  const cpuMicrosPerRequest: Record<string, number> = {};
  for (const [name, ops] of medians) {
    microsPerRequest[name] = 1e6 / ops;
    cpuMicrosPerRequest[name] = median(cpu.get(name)!.slice(1)); // without the warm-up run
    const seen = spans.get(name)!;
    spansPerRequest[name] = seen.spans / Math.max(1, seen.requests);
  }
  const off = 'tracing off (no tracer provider)';
  const versus = (values: Record<string, number>, name: string): string => {
    const delta = values[name]! - values[off]!;
    return `${delta >= 0 ? '+' : ''}${delta.toFixed(2)}`;
  };
  const rows = [...medians].map(([name, ops]) => [
    name,
    fmt(ops),
    microsPerRequest[name]!.toFixed(2),
    versus(microsPerRequest, name),
    cpuMicrosPerRequest[name]!.toFixed(2),
    versus(cpuMicrosPerRequest, name),
    spansPerRequest[name]!.toFixed(1),
  ]);
  const text = table(
    `authenticate() in process: HS256 cached + memory revocation (median of ${rounds} interleaved rounds)`,
    ['contender', 'req/s', 'µs/req', 'vs off', 'CPU µs/req', 'vs off', 'spans/req'],
    rows,
  );
  const result = { microsPerRequest, cpuMicrosPerRequest, spansPerRequest };
  writeResult('pipeline', result);
  return { result, text };
}
