/**
 * joi schemas of the Python SDK's models (`schemas/`), beside the TypeScript types of
 * `types.ts`. The request path uses the hand-written `checkAccessPayload` (same rules, much
 * faster); a differential test keeps the two in step.
 */
import Joi from 'joi';
import { ORDERED_ROLES } from './roles';
import type { TokenUserData, UserModel } from './types';

export const AuthProviderType = Object.freeze({ PASSWORD: 'password', GOOGLE: 'google' } as const);
export type AuthProviderTypeValue = (typeof AuthProviderType)[keyof typeof AuthProviderType];

export const Period = Object.freeze({
  MINUTE: 'minute',
  HOUR: 'hour',
  DAY: 'day',
  MONTH: 'month',
} as const);

const SPECIAL_USE_TLDS = ['arpa', 'invalid', 'local', 'localhost', 'onion', 'test'];

/** An email as the Python `EmailStr` accepts it (no special-use domains such as `.test`). */
export const emailSchema = Joi.string()
  .max(254)
  .email({ tlds: false, minDomainSegments: 2 })
  .custom((value: string, helpers) => {
    const tld = value.slice(value.lastIndexOf('.') + 1).toLowerCase();
    return SPECIAL_USE_TLDS.includes(tld) ? helpers.error('string.email') : value;
  });

const nullableString = Joi.string().allow(null);
const roleSchema = Joi.string().valid(...ORDERED_ROLES);

const userFields = {
  email: emailSchema.required(),
  full_name: nullableString.default(null),
  avatar: nullableString.default(null),
  is_active: Joi.boolean().strict().default(true),
  email_verified: Joi.boolean().strict().default(false),
  is_superuser: Joi.boolean().strict().default(false),
  role: roleSchema.default('user'),
  tenant_id: nullableString,
};

/** Python `UserPayloadData`. */
export const userPayloadDataSchema = Joi.object(userFields).options({ stripUnknown: true });

/** Python `TokenUserData`: a validated access token (jti must be non-empty here). */
export const tokenUserDataSchema = Joi.object<TokenUserData>({
  ...userFields,
  sub: Joi.string().strict().allow('').required(),
  jti: Joi.string().strict().min(1).required(),
  type: Joi.string().valid('access').default('access'),
  exp: Joi.number().strict().integer().allow(null).default(null),
}).options({ stripUnknown: true });

/** A refresh-token payload: UUID `sub`, non-empty `jti`, `type: "refresh"`, optional family `fid`. */
export const refreshTokenPayloadSchema = Joi.object({
  sub: Joi.string().guid().required(),
  jti: Joi.string().min(1).required(),
  type: Joi.string().valid('refresh').required(),
  exp: Joi.number().required(),
  fid: Joi.string(),
  iat: Joi.number(),
}).options({ stripUnknown: true });

/** Python `UserModel`. */
export const userModelSchema = Joi.object<UserModel>({
  id: Joi.string().guid().required(),
  ...userFields,
}).options({ stripUnknown: true });

/** Python `SessionModel`. */
export const sessionModelSchema = Joi.object({
  id: Joi.string().guid().required(),
  provider: Joi.string()
    .valid(...Object.values(AuthProviderType))
    .required(),
  jwt_jti: Joi.string().min(16).max(128).required(),
  refresh_token_hash: Joi.string().min(64).max(128).required(),
  jwt_expires_at: Joi.date().required(),
  refresh_expires_at: Joi.date().required(),
  external_access_token: Joi.string().max(2048).allow(null).default(null),
  external_refresh_token: Joi.string().max(2048).allow(null).default(null),
  external_token_expires_at: Joi.date().allow(null).default(null),
});

/** Python `ResponseError`. */
export const responseErrorSchema = Joi.object({
  table: nullableString.default(null),
  field_name: nullableString.default(null),
  error: nullableString.default(null),
});

/** Python `ResponseErrorBase` (the body of every error response). */
export const responseErrorBaseSchema = Joi.object({
  success: Joi.boolean().valid(false).default(false),
  msg: nullableString.default(null),
  from_error: nullableString.default(null),
  errors: Joi.array().items(responseErrorSchema).default([]),
  status_code: Joi.number().integer().allow(null).default(null),
});

/** Python `ResponseMessage`. */
export const responseMessageSchema = Joi.object({
  success: Joi.boolean().required(),
  msg: Joi.string().required(),
});

/** Python `Token`. */
export const tokenSchema = Joi.object({
  access_token: Joi.string().required(),
  token_type: Joi.string().default('bearer'),
});

/** Python `EventBase`. */
export const eventBaseSchema = Joi.object({
  event_type: Joi.string().required(),
  version: Joi.string().default('v1'),
}).unknown(true);

export interface UserDeletedEvent {
  /** `user.deleted` unless the publisher set another (Python delivers any string). */
  event_type: string;
  version: string;
  user_id: string;
}

/** Python `UserDeletedEvent` (wire: `{"event_type":"user.deleted","version":"v1","user_id":…}`). */
export const userDeletedEventSchema = Joi.object<UserDeletedEvent>({
  event_type: Joi.string().default('user.deleted'),
  version: Joi.string().default('v1'),
  user_id: Joi.string().required(),
});

/** `req.user` from validated claims: Python built `UserModel(**claims, id=sub)`. */
export function toUserModel(claims: TokenUserData): UserModel {
  const user: UserModel = {
    id: claims.sub,
    email: claims.email,
    full_name: claims.full_name ?? null,
    avatar: claims.avatar ?? null,
    is_active: claims.is_active,
    email_verified: claims.email_verified,
    is_superuser: claims.is_superuser,
    role: claims.role,
  };
  if (claims.tenant_id != null) user.tenant_id = claims.tenant_id;
  return user;
}
