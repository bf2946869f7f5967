/** `auth-sdk-m8/metrics`: the Python metric catalogue on a private prom-client registry. */
export {
  setupMetrics,
  type Metrics,
  type MetricsOptions,
  type MetricsSettings,
  type HttpMetrics,
  type AuthMetrics,
} from './setup';
export type { MetricGroup } from './groups';
export { metricsMiddleware, type MetricsMiddlewareOptions } from './http-middleware';
export { metricsRouter, type MetricsRouterOptions } from './router';
export { metricsHooks, recordLogout, recordLoginAttempt } from './hooks';
