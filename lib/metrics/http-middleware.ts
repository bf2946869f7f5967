/**
 * Per-request HTTP metrics. The endpoint label is the matched route pattern when Express
 * matched one; otherwise the path with id-like segments replaced by `{id}`, from a bounded set
 * of labels, and `__unmatched__` for 404s — so a scanner cannot explode label cardinality
 * (the Python middleware labelled raw paths). Recorded once per request, on 'finish' or on
 * 'close' for an aborted one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireMetrics, type Metrics } from './setup';
import { UUID_PATTERN } from '../security/user-id';

export interface MetricsMiddlewareOptions {
  /** Most distinct fallback (unrouted) path labels kept; later ones become `__other__`. Default 100. */
  maxPathLabels?: number | undefined;
}

type RoutedRequest = IncomingMessage & {
  baseUrl?: string;
  route?: { path?: unknown };
  originalUrl?: string;
};

const INT_SEGMENT = /^\d+$/;
export const UNMATCHED_LABEL = '__unmatched__';
export const OTHER_LABEL = '__other__';
/** Status recorded for a request the client aborted before the response finished. */
export const CLIENT_CLOSED_STATUS = 499;

/** `/items/<uuid>/42` → `/items/{id}/{id}`; whole segments only (`/2fa` stays). */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .map((segment) => (UUID_PATTERN.test(segment) || INT_SEGMENT.test(segment) ? '{id}' : segment))
    .join('/');
}

export function metricsMiddleware(
  metrics: Metrics,
  options: MetricsMiddlewareOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const m = requireMetrics(metrics);
  if (!m.enabled || !m.recordsHttp) {
    return (_req, _res, next) => next();
  }
  const { requests, duration, errors, statuses } = m.http;
  const maxLabels = options.maxPathLabels ?? 100;
  const seen = new Set<string>();

  const endpointOf = (req: RoutedRequest, status: number): string => {
    const routePath = req.route?.path;
    if (typeof routePath === 'string') return `${req.baseUrl ?? ''}${routePath}`;
    if (status === 404) return UNMATCHED_LABEL;
    const raw = (req.originalUrl ?? req.url ?? '/').split('?')[0];
    const label = normalizePath(raw);
    if (seen.has(label)) return label;
    if (seen.size >= maxLabels) return OTHER_LABEL;
    seen.add(label);
    return label;
  };

  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let done = false;
    const record = (status: number): void => {
      if (done) return;
      done = true;
      const method = req.method ?? 'GET';
      const endpoint = endpointOf(req as RoutedRequest, status);
      const code = String(status);
      requests?.inc({ method, endpoint, status_code: code });
      duration?.observe({ method, endpoint }, Number(process.hrtime.bigint() - start) / 1e9);
      if (status >= 400)
        errors?.inc({ method, endpoint, status_class: `${Math.floor(status / 100)}xx` });
      statuses?.inc({ status_code: code });
    };
    res.once('finish', () => record(res.statusCode));
    // 'close' before 'finish': the client went away first (nginx's 499, client closed request).
    res.once('close', () => record(CLIENT_CLOSED_STATUS));
    next();
  };
}
