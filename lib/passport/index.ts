/** `auth-sdk-m8/passport`: Passport strategies over the package's pipeline and flows. */
export { createJwtStrategy, JwtStrategy, type JwtStrategyOptions } from './jwt-strategy';
export {
  createRefreshStrategy,
  RefreshStrategy,
  type RefreshStrategyOptions,
} from './refresh-strategy';
