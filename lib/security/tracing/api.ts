/**
 * The OpenTelemetry API (`@opentelemetry/api`, an optional peer dependency; no SDK here),
 * loaded once and fail-soft so the root entry loads without it: at once through `require`
 * where there is a `__filename` (both builds, Jest), else by `import()` (tsx). The one file of
 * the package that touches the API; the rest of `tracing/` takes its types from here. Until
 * the app registers a tracer provider, `activeTracer()` is one property read.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';

export type { Attributes, Span, Tracer };

/** The instrumentation scope of every span of this package. */
export const TRACER_NAME = 'auth-sdk-m8';

let otel: typeof OtelApi | undefined;
/** The spans this package started: only these are described by `currentSpan()`'s callers. */
const ours = new WeakSet<Span>();

function use(api: typeof OtelApi): boolean {
  otel = api;
  return true;
}

function loadApi(): Promise<boolean> {
  if (typeof __filename === 'string') {
    try {
      return Promise.resolve(
        use(createRequire(__filename)('@opentelemetry/api') as typeof OtelApi),
      );
    } catch {
      return Promise.resolve(false); // not installed: tracing stays off
    }
  }
  return import('@opentelemetry/api').then(use, () => false);
}

/** Settles when the API is loaded (true) or found missing (false: tracing stays off). */
export const tracingApiLoaded: Promise<boolean> = loadApi();

// Every copy of the API 1.x keeps what the app registered under this global symbol (that is
// how copies share one provider); an empty slot means no provider, read without a call.
const API_SLOT = Symbol.for('opentelemetry.js.api.1');
type GlobalSlot = { [API_SLOT]?: { trace?: unknown } | undefined };
let cachedProvider: unknown;
let cachedTracer: Tracer | undefined;

/** This package's tracer, or undefined while no tracer provider is registered. */
export function activeTracer(): Tracer | undefined {
  if (otel === undefined || (globalThis as GlobalSlot)[API_SLOT]?.trace === undefined) {
    return undefined;
  }
  const provider = otel.trace.getTracerProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME);
  }
  return cachedTracer;
}

/** The active span when this package started it (none while tracing is off, or another's). */
export function currentSpan(): Span | undefined {
  if (activeTracer() === undefined) return undefined;
  const span = (otel as typeof OtelApi).trace.getActiveSpan();
  return span !== undefined && ours.has(span) ? span : undefined;
}

/**
 * Sets attributes on the current span of this package (no-op without one): the hook a store
 * or a policy fills to describe its own call, e.g. where an answer came from.
 */
export function setTraceAttributes(attributes: Attributes): void {
  currentSpan()?.setAttributes(attributes);
}

export interface SpanPlan<T> {
  name: string;
  /** A client span (a call to a store in another process); default internal. */
  client?: boolean | undefined;
  attributes?: Attributes | undefined;
  /** Describes a success on the span. */
  onValue?: ((span: Span, value: T) => void) | undefined;
  /** Describes a failure on the span (default: the `onError` given to `inSpan`). */
  onError?: ((span: Span, error: unknown) => void) | undefined;
}

/** Runs `work` inside a new span, the active one while it runs. */
export function inSpan<T>(
  tracer: Tracer,
  plan: SpanPlan<T>,
  work: (span: Span) => T | Promise<T>,
  onError: (span: Span, error: unknown) => void,
): Promise<T> {
  const api = otel as typeof OtelApi;
  const parent = api.context.active();
  const kind = plan.client === true ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL;
  const span = tracer.startSpan(plan.name, { kind, attributes: plan.attributes }, parent);
  ours.add(span);
  const scope = api.trace.setSpan(parent, span);
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(api.context.with(scope, work, undefined, span));
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (value) => {
      endSpan(span, () => plan.onValue?.(span, value));
      return value;
    },
    (error: unknown) => {
      endSpan(span, () => (plan.onError ?? onError)(span, error));
      throw error;
    },
  );
}

/** A span of work already done (nothing ran inside it). */
export function doneSpan(tracer: Tracer, name: string, attributes: Attributes): void {
  const span = tracer.startSpan(name, { attributes });
  endSpan(span, () => undefined);
}

/** Describes and ends a span; an exporter or processor that throws never changes a verdict. */
function endSpan(span: Span, describe: () => void): void {
  try {
    describe();
    span.end();
  } catch {
    // Observability never changes a decision.
  }
}

/** A failure on the server side: the span's status is error, `error.type` says which. */
export function markFailed(span: Span, errorType: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: (otel as typeof OtelApi).SpanStatusCode.ERROR });
}
