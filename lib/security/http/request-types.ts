/**
 * Types `req.auth` and `req.user` by declaration merging (one fixed property name each, so
 * `req` stays typable). `req.user` is declared exactly as @types/passport declares it
 * (`user?: User | undefined`), and `Express.User` gains the `UserModel` fields as OPTIONAL
 * members: a Passport app declares its own `User` (`{ id: string; username: string }`) and
 * builds its session users with its fields only, so requiring ours would break it (and at run
 * time such an app's `req.user` may be its own user, not ours). The token's claims, typed in
 * full, are `req.auth` (`TokenUserData`).
 */
import type { TokenUserData, UserModel } from '../../core/types';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Partial<UserModel> {}

    interface Request {
      /** The validated access-token claims, set by `authenticate()` or the Passport strategy. */
      auth?: TokenUserData | undefined;
      /** The user built from the claims (`UserModel`), set next to `req.auth`. */
      user?: User | undefined;
    }
  }
}

export {};
