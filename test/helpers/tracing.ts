/**
 * An app's OpenTelemetry set-up for tests: the SDK's tracer provider with an in-memory exporter
 * and the AsyncLocalStorage context manager, registered globally as an app registers them;
 * the app's own HTTP server span as an Express middleware; and the checks every tracing test
 * makes (parent links, nothing secret in any exported span).
 */
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { NextFunction, Request, Response } from 'express';
import { tracingApiLoaded } from '../../lib/security/tracing';

export interface TestTracing {
  /** Every span ended since the last `reset()`, in the order they ended. */
  spans(): ReadableSpan[];
  reset(): void;
  stop(): Promise<void>;
}

/** Registers a tracer provider (in-memory exporter) and a context manager, as an app does. */
export async function startTracing(): Promise<TestTracing> {
  if (!(await tracingApiLoaded)) throw new Error('@opentelemetry/api did not load');
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    stop: async () => {
      trace.disable();
      context.disable();
      await provider.shutdown();
    },
  };
}

/**
 * The app's own HTTP server span (what an HTTP instrumentation makes): the request runs in its
 * context, the request and response emitters bound to it, and it ends when the answer is sent.
 */
export function appHttpSpan(req: Request, res: Response, next: NextFunction): void {
  // HTTP semconv: `{method} {http.route}`, or `{method}` while the route is unknown (a path
  // can hold an id).
  const span: Span = trace.getTracer('test-app').startSpan(req.method, { kind: SpanKind.SERVER });
  const scope = trace.setSpan(context.active(), span);
  res.on('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  });
  context.bind(scope, req);
  context.bind(scope, res);
  context.with(scope, next);
}

export function spanId(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

/** The one span named `name` (fails when there is none or several). */
export function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one span ${name}, got ${found.length}: ${names(spans).join(', ')}`);
  }
  return found[0]!;
}

export function names(spans: ReadableSpan[]): string[] {
  return spans.map((s) => s.name);
}

/** The direct children of `parent`, by name, in the order they ended. */
export function childrenOf(spans: ReadableSpan[], parent: ReadableSpan): string[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === spanId(parent)).map((s) => s.name);
}

/** Everything a span exports as text: name, attributes, events with theirs, status, links. */
function exported(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    status: span.status,
    links: span.links.map((l) => l.attributes),
  });
}

/**
 * The values no span may carry: each given string, and each dot-separated part of the tokens
 * (a JWS's header, payload and signature). Returns what was found where (empty: nothing).
 */
export function secretsIn(spans: ReadableSpan[], secrets: string[], tokens: string[]): string[] {
  const needles = [...secrets, ...tokens, ...tokens.flatMap((t) => t.split('.'))].filter(
    (s) => s.length >= 6,
  );
  const found: string[] = [];
  for (const span of spans) {
    const text = exported(span);
    for (const needle of needles) {
      if (text.includes(needle)) found.push(`${span.name}: ${needle.slice(0, 12)}…`);
    }
  }
  return found;
}
