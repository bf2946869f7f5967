/**
 * CORS origins: the Python `parse_cors` rules plus the normalisation pydantic's `HttpUrl`
 * gives FRONTEND_HOST, applied to every entry so the same origin is never listed twice.
 */
import { ConfigurationError } from '../errors';
import { HTTP_HOST_REGEX } from '../validation-constants';

const ORIGIN = /^(https?):\/\/([^:/]+)(?::(\d+))?$/;
const DEFAULT_PORT: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** `HTTP://App.Example.com:443/` style variations → `https://app.example.com`. */
function normaliseOrigin(origin: string): string {
  const m = ORIGIN.exec(origin);
  if (m === null) return origin;
  const [, scheme = '', host = '', port] = m;
  const keepPort = port !== undefined && Number(port) !== DEFAULT_PORT[scheme];
  return `${scheme}://${host.toLowerCase()}${keepPort ? `:${String(Number(port))}` : ''}`;
}

/**
 * Python `parse_cors`: a comma list, entries trimmed, trailing slashes dropped, each an http(s)
 * origin (so `*` is refused); then lower-cased host, default port dropped, duplicates dropped.
 * Problems go to `problems` when given, else the first one throws a `ConfigurationError`.
 */
export function parseCors(value: string, problems?: string[]): string[] {
  const origins: string[] = [];
  const report = (message: string): void => {
    if (problems === undefined) throw new ConfigurationError(message);
    problems.push(message);
  };
  for (const part of value.split(',')) {
    const origin = part.trim().replace(/\/+$/, '');
    if (origin === '') continue;
    if (!HTTP_HOST_REGEX.test(origin)) {
      report(`Invalid host in BACKEND_CORS_ORIGINS: '${origin}'`);
      continue;
    }
    const normalised = normaliseOrigin(origin);
    if (!origins.includes(normalised)) origins.push(normalised);
  }
  if (origins.length === 0) report('BACKEND_CORS_ORIGINS must contain at least one valid origin');
  return origins;
}

/**
 * Python `ALLOWED_ORIGINS`: the parsed BACKEND_CORS_ORIGINS plus FRONTEND_HOST (as `HttpUrl`
 * prints it, without the trailing slash) unless already listed. A FRONTEND_HOST that is not
 * an http(s) URL is left out (the schema reports it where it is a field).
 */
export function allowedOrigins(
  backendCorsOrigins: string,
  frontendHost: string | undefined,
  problems?: string[],
): string[] {
  const origins = parseCors(backendCorsOrigins, problems);
  if (frontendHost !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(frontendHost.trim());
    } catch {
      url = undefined;
    }
    if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) {
      const frontend = url.href.replace(/\/+$/, '');
      if (!origins.includes(frontend)) origins.push(frontend);
    }
  }
  return origins;
}
