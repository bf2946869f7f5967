/**
 * Types `req.auth` and `req.user` by declaration merging (one fixed property name each, so
 * `req` stays typable). `req.user` is declared exactly as @types/passport declares it
 * (`user?: User | undefined`) and `Express.User` is widened with the `UserModel` fields, so
 * this package and Passport can be used in one app without a type conflict.
 */
import type { TokenUserData, UserModel } from '../../core/types';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends UserModel {}

    interface Request {
      /** The validated access-token claims, set by `authenticate()` or the Passport strategy. */
      auth?: TokenUserData | undefined;
      /** The user built from the claims (`UserModel`), set next to `req.auth`. */
      user?: User | undefined;
    }
  }
}

export {};
