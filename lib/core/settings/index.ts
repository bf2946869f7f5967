export {
  loadSettings,
  loadSettingsAsync,
  loadCommonSettings,
  type LoadSettingsOptions,
  type LoadSettingsAsyncOptions,
} from './load';
export { parseCors } from './origins';
export { authSettingsSchema, commonSettingsSchema } from './schema';
export {
  checkConfigHealth,
  collectConfigFindings,
  type HealthOptions,
  type HealthReport,
  type HealthSettings,
} from './health';
export { effectiveFailureMode, type FailureModeSettings } from './failure-mode';
export { findDotenv } from './dotenv';
export { keyStrengthProblem } from './key-strength';
export { SecretValue, revealSecret } from './secret';
export type { AuthSettings, CommonSettings, Environment, ServiceRole, TokenMode } from './types';
