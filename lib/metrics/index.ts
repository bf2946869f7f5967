export {
  setupMetrics,
  metricsFromSettings,
  Metrics,
  type MetricsOptions,
  type MetricsSettings,
  type HttpMetrics,
  type AuthMetrics,
} from './setup';
export { resolveGroups, normalizePrefix, METRIC_GROUPS, type MetricGroup } from './groups';
export {
  metricsMiddleware,
  normalizePath,
  UNMATCHED_LABEL,
  OTHER_LABEL,
  CLIENT_CLOSED_STATUS,
  type MetricsMiddlewareOptions,
} from './http-middleware';
export { metricsRouter, type MetricsRouterOptions } from './router';
export { metricsHooks, recordLogout, recordLoginAttempt } from './hooks';
