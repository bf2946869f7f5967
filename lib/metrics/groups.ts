/** Metric groups and the name prefix, as the Python `observability.metrics` resolves them. */
export const METRIC_GROUPS = ['traffic', 'performance', 'reliability', 'health', 'auth'] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];

/**
 * `"traffic, performance"` → those groups; `all` (any case) → every group; unknown names are
 * dropped (all unknown → none), as in Python.
 */
export function resolveGroups(value: string | readonly string[] = 'all'): Set<MetricGroup> {
  const names = (typeof value === 'string' ? value.split(',') : [...value]).map((n) =>
    n.trim().toLowerCase(),
  );
  if (names.includes('all')) return new Set(METRIC_GROUPS);
  return new Set(METRIC_GROUPS.filter((group) => names.includes(group)));
}

/**
 * API_PREFIX → metric name prefix: `/api/v1` → `api_v1_`, `/my-service` → `my_service_`,
 * `""` or `/` → `""`. Unlike Python, any character outside [A-Za-z0-9_] becomes `_`, so the
 * result is always a valid Prometheus name (API_PREFIX may contain `.` and `~`).
 */
export function normalizePrefix(apiPrefix = ''): string {
  const core = apiPrefix
    .trim()
    .replace(/^\/+/, '')
    .replace(/[^A-Za-z0-9_]/g, '_');
  if (core === '') return '';
  return /^[0-9]/.test(core) ? `_${core}_` : `${core}_`;
}
