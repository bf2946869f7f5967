/**
 * OpenTelemetry spans of the package: `api.ts` loads the API (fail-soft) and runs spans,
 * `spans.ts` holds one helper per span, `outcomes.ts` says what a refusal, a failure or a hook
 * event means on a span, in the metric labels' vocabulary.
 */
export { activeTracer, setTraceAttributes, tracingApiLoaded } from './api';
export { traceHookEvent } from './outcomes';
export {
  dbSystemOf,
  traceAuthentication,
  traceFlow,
  traceJwksFetch,
  traceLocalRevocation,
  traceRevocationCheck,
  traceRotation,
  traceStoreCall,
  traceTokenValidation,
  type FlowSpanName,
  type RotationOutcome,
} from './spans';
