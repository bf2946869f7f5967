/**
 * OpenTelemetry spans, through `@opentelemetry/api` (an optional peer dependency; no SDK here).
 * The API is loaded once, fail-soft, so the root entry loads without it: at once by `require`
 * where there is one (the CommonJS build, the ES build's `__filename` shim, Jest), else by a
 * dynamic `import()` (tsx). Until the app registers a tracer provider, each helper below costs
 * one property read before it calls the work it wraps. Spans carry names, fixed outcomes and
 * configuration: never a token, a secret, a password or a claim value.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { AuthError, InvalidTokenError, StoreUnavailableError } from '../core/errors';
import { unavailableReason } from '../core/store-errors';
import type { StoreGuard } from './store-guard';
import type { ValidationHooks } from './types';

/** The instrumentation scope of every span of this package. */
export const TRACER_NAME = 'auth-sdk-m8';

let otel: typeof OtelApi | undefined;
/** The context key under which the innermost span of this package is kept. */
let OURS: symbol = Symbol('auth-sdk-m8 span');

function use(api: typeof OtelApi): boolean {
  otel = api;
  OURS = api.createContextKey('auth-sdk-m8 span');
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

interface SpanPlan<T> {
  name: string;
  kind?: SpanKind | undefined;
  attributes?: Attributes | undefined;
  /** Describes a success on the span. */
  onValue?: ((span: Span, value: T) => void) | undefined;
  /** Describes a failure on the span (default `recordFailure`). */
  onError?: ((span: Span, error: unknown) => void) | undefined;
}

/** Runs `work` inside a new span, the current one of this package while it runs. */
function inSpan<T>(
  tracer: Tracer,
  plan: SpanPlan<T>,
  work: (span: Span) => T | Promise<T>,
): Promise<T> {
  const api = otel as typeof OtelApi;
  const parent = api.context.active();
  const { name, kind, attributes } = plan;
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  const scope = api.trace.setSpan(parent, span).setValue(OURS, span);
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(api.context.with(scope, work, undefined, span));
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (value) => {
      settle(span, () => plan.onValue?.(span, value));
      return value;
    },
    (error: unknown) => {
      settle(span, () => (plan.onError ?? recordFailure)(span, error));
      throw error;
    },
  );
}

/** Describes and ends a span; an exporter or processor that throws never changes a verdict. */
function settle(span: Span, describe: () => void): void {
  try {
    describe();
    span.end();
  } catch {
    // Observability never changes a decision.
  }
}

/**
 * A refusal (400, 401, 403, 404, 429) is the operation doing its job: the span says why and
 * keeps its status unset. A 5xx or an unexpected error is an error (status, `error.type`).
 * Messages are never recorded: a driver's or a validator's text can quote a value.
 */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof AuthError && error.status < 500) {
    if (error instanceof InvalidTokenError) {
      span.setAttribute('auth.failure.reason', error.reason);
      if (error.detail !== undefined)
        span.setAttribute('auth.failure.detail', safeDetail(error.detail));
    } else {
      span.setAttribute('auth.failure.reason', error.code);
    }
    return;
  }
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: (otel as typeof OtelApi).SpanStatusCode.ERROR });
}

function errorType(error: unknown): string {
  if (error instanceof StoreUnavailableError) return unavailableReason(error);
  if (error instanceof AuthError) return error.code;
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}

// Details that name a claim, or say which part was malformed, are kept whole; the others
// (`role_unknown:<role>`, `alg_not_allowed:<alg>`) lose what the token said.
const WHOLE_DETAILS = /^(missing_claim|claim_type|claim_value|malformed):/;

function safeDetail(detail: string): string {
  return WHOLE_DETAILS.test(detail) ? detail : detail.split(':', 1)[0]!;
}

/** The request pipeline (`createRequestAuthenticator`): one span per authenticated request. */
export function traceAuthentication<R, A extends { source: string }>(
  authenticate: (request: R) => Promise<A | undefined>,
): (request: R) => Promise<A | undefined> {
  return (request) => {
    const tracer = activeTracer();
    if (tracer === undefined) return authenticate(request);
    return inSpan(
      tracer,
      { name: 'auth.authenticate', onValue: authenticated, onError: refused },
      () => authenticate(request),
    );
  };
}

function authenticated(span: Span, found: { source: string } | undefined): void {
  if (found === undefined) span.setAttribute('auth.result', 'anonymous');
  else span.setAttributes({ 'auth.result': 'authenticated', 'auth.token.source': found.source });
}

function refused(span: Span, error: unknown): void {
  if (error instanceof AuthError && error.status < 500) span.setAttribute('auth.result', 'refused');
  recordFailure(span, error);
}

/** Access-token validation (`TokenValidator`): the algorithm and the verdict. */
export function traceTokenValidation<T>(
  algorithm: string | undefined,
  validate: () => Promise<T>,
): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return validate();
  const attributes: Attributes = { 'auth.token.type': 'access' };
  if (algorithm !== undefined) attributes['auth.token.algorithm'] = algorithm;
  return inSpan(
    tracer,
    {
      name: 'auth.validate_token',
      attributes,
      onValue: (span) => span.setAttribute('auth.token.verdict', 'valid'),
      onError: (span, error) => {
        if (error instanceof InvalidTokenError) span.setAttribute('auth.token.verdict', 'invalid');
        recordFailure(span, error);
      },
    },
    validate,
  );
}

/** Spans that asked a store (a guarded call ran inside them). */
const askedStore = new WeakSet<Span>();

/**
 * The revocation check (`TokenPolicy.validate`): `auth.revocation.source` is `store` when a
 * guarded store call ran inside it, `local` when the answer needed none (a store answering
 * from the process).
 */
export function traceRevocationCheck(
  check: () => boolean | Promise<boolean>,
): boolean | Promise<boolean> {
  const tracer = activeTracer();
  if (tracer === undefined) return check();
  return inSpan(
    tracer,
    {
      name: 'auth.revocation_check',
      onValue: (span, revoked) =>
        span.setAttributes({
          'auth.revocation.source': askedStore.has(span) ? 'store' : 'local',
          'auth.token.revoked': revoked,
        }),
    },
    check,
  );
}

/**
 * One guarded store call (`GuardedStore.call` / `attempt`): a database client span (INTERNAL
 * for the memory stores) named after the store method the call invokes, with the guard's
 * timeout, breaker state and failure mode. `db.system.name` comes from the guard's store name.
 */
export function traceStoreCall<S extends object, T>(
  guard: StoreGuard,
  store: S,
  call: (store: S) => Promise<T>,
): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return call(store);
  const api = otel as typeof OtelApi;
  const parent = api.context.active().getValue(OURS) as Span | undefined;
  if (parent !== undefined) askedStore.add(parent);
  const system = dbSystemOf(guard.store);
  const attributes: Attributes = {
    'db.system.name': system,
    'db.system': system,
    'auth.store.name': guard.store,
    'auth.store.control': guard.control,
    'auth.store.failure_mode': guard.failureMode,
    'auth.store.breaker.state': guard.breaker?.state ?? 'none',
  };
  if (Number.isFinite(guard.timeoutMs)) attributes['auth.store.timeout_ms'] = guard.timeoutMs;
  const kind = system === 'memory' ? api.SpanKind.INTERNAL : api.SpanKind.CLIENT;
  // Named after the database until the call names its method (it may never: circuit open).
  return inSpan(tracer, { name: system, kind, attributes }, (span) =>
    call(namingProxy(store, span)),
  );
}

/** `db.system.name` of a store, from its guard's name (a class name or `storeName`). */
export function dbSystemOf(storeName: string): string {
  const name = storeName.toLowerCase();
  if (name.includes('redis')) return 'redis';
  if (name.includes('postgres') || name === 'pg') return 'postgresql';
  if (name.includes('mysql')) return 'mysql';
  if (name.includes('maria')) return 'mariadb';
  if (name.includes('memory')) return 'memory';
  return name;
}

/** The store, as seen by one guarded call: the first method it calls names the span. */
function namingProxy<S extends object>(store: S, span: Span): S {
  let named = false;
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!named && typeof property === 'string') {
        named = true;
        span.updateName(property);
        span.setAttribute('db.operation.name', property);
      }
      // The store's own `this` (its private fields are not the proxy's).
      return (...args: unknown[]) => Reflect.apply(value, target, args);
    },
  });
}

/** A JWKS fetch (`JwksKeyResolver`): the URL without credentials or query, and the result. */
export function traceJwksFetch(uri: string, fetchKeys: () => Promise<void>): Promise<void> {
  const tracer = activeTracer();
  if (tracer === undefined) return fetchKeys();
  const url = new URL(uri);
  const attributes: Attributes = {
    'http.request.method': 'GET',
    'url.full': `${url.protocol}//${url.host}${url.pathname}`,
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
  return inSpan(tracer, { name: 'auth.jwks.fetch', attributes }, fetchKeys);
}

/** Span names of the auth flows (`createAuthFlows`). */
export type FlowSpanName =
  | 'auth.login'
  | 'auth.refresh'
  | 'auth.logout'
  | 'auth.logout_all'
  | 'auth.sessions.list'
  | 'auth.sessions.revoke';

/** One auth flow; its outcome comes from the flow's own hook events (see `traceHookEvent`). */
export function traceFlow<T>(name: FlowSpanName, run: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return run();
  return inSpan(tracer, { name }, run);
}

/** What a refresh rotation came to: the store's outcome, or `degraded` (fail_open, no store). */
export type RotationOutcome = 'rotated' | 'replayed' | 'reused' | 'unknown' | 'degraded';

/** Records a rotation's outcome on the current span (the refresh flow's). */
export function traceRotation(outcome: RotationOutcome): void {
  setTraceAttributes({ 'auth.refresh.rotation': outcome === 'unknown' ? 'revoked' : outcome });
}

/**
 * Sets attributes on the current span of this package (no-op without one): the hook a store
 * or a policy fills to describe its own call, e.g. where an answer came from.
 */
export function setTraceAttributes(attributes: Attributes): void {
  if (activeTracer() === undefined) return;
  const span = (otel as typeof OtelApi).context.active().getValue(OURS) as Span | undefined;
  span?.setAttributes(attributes);
}

type HookName = keyof ValidationHooks;
type HookEvent<N extends HookName> = Parameters<NonNullable<ValidationHooks[N]>>[0];

/** The refresh result as the metrics label it (`auth_token_refresh_total{result}`). */
function refreshResult(reason: string): string {
  return reason === 'revoked' || reason === 'reused' ? reason : 'invalid';
}

function failed(span: Span, errorType: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: (otel as typeof OtelApi).SpanStatusCode.ERROR });
}

/**
 * The hook events on the current span, with the names and values the metrics use as labels
 * (`lib/metrics/hooks.ts`), so traces and metrics tell one story. Events of access tokens
 * need nothing here: their spans read the verdict off the result.
 */
const FROM_HOOKS: { [N in HookName]-?: (span: Span, event: HookEvent<N>) => void } = {
  onSuccess: (span, { tokenType }) => {
    if (tokenType === 'refresh') span.setAttribute('auth.refresh.result', 'success');
  },
  onFailure: (span, { reason, tokenType }) => {
    if (tokenType === 'refresh') span.setAttribute('auth.refresh.result', refreshResult(reason));
  },
  onDegraded: (span, { control, mode, reason, store }) => {
    span.addEvent('auth.degraded', {
      'auth.degraded.control': control,
      'auth.degraded.mode': mode,
      'auth.degraded.reason': reason,
      'auth.store.name': store,
    });
    failed(span, reason);
  },
  onBreakerStateChange: (span, { store, open }) => {
    span.addEvent('auth.breaker.state_change', {
      'auth.store.name': store,
      'auth.store.breaker.state': open ? 'open' : 'closed',
    });
  },
  onJwksFetch: (span, { result }) => {
    span.setAttribute('auth.jwks.result', result);
    if (result !== 'success') failed(span, result);
  },
  onLogin: (span, { result }) => {
    span.setAttribute('auth.login.result', result);
  },
  onLogout: (span, { sessions }) => {
    span.setAttribute('auth.logout.sessions', sessions);
  },
  onRateLimited: (span, { scope }) => {
    span.setAttributes({ 'auth.refresh.result': 'rate_limited', 'auth.rate_limit.scope': scope });
  },
};

/** Describes one hook event on the current span of this package (`callHook` calls it). */
export function traceHookEvent<N extends HookName>(name: N, event: HookEvent<N>): void {
  if (activeTracer() === undefined) return;
  const span = (otel as typeof OtelApi).context.active().getValue(OURS) as Span | undefined;
  if (span === undefined) return;
  try {
    (FROM_HOOKS[name] as (span: Span, event: HookEvent<N>) => void)(span, event);
  } catch {
    // Observability never changes a decision.
  }
}
