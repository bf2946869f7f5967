/**
 * `auth-sdk-m8/schemas`: the Python package's models as joi schemas, its validation
 * constants and role helpers, and the error-body parsers of joi and SQL integrity errors,
 * for services that validate their own payloads the way the Python services do.
 */
export {
  tokenUserDataSchema,
  userPayloadDataSchema,
  refreshTokenPayloadSchema,
  userModelSchema,
  sessionModelSchema,
  responseErrorSchema,
  responseErrorBaseSchema,
  responseMessageSchema,
  tokenSchema,
  eventBaseSchema,
  userDeletedEventSchema,
  emailSchema,
  toUserModel,
  AuthProviderType,
  Period,
  type AuthProviderTypeValue,
  type UserDeletedEvent,
} from './core/schemas';
export { Roles, ORDERED_ROLES, isRole, isValidRoleAuth } from './core/roles';
export { ValidationConstants, removeInvisibleChars } from './core/validation-constants';
export { parseIntegrityError, parseValidationError } from './core/db-errors';
export { createPkce, pkceChallenge, createState } from './core/crypto-utils';
