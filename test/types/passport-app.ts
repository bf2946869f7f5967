/**
 * A typical Passport app declares its own `Express.User` (session users with app fields) and
 * also mounts this package's Express adapter: both augmentations must live in one program,
 * the app's user objects must keep compiling, and `req.auth` stays typed.
 */
import express from 'express';
import passport from 'passport';
import 'auth-sdk-m8/express';
import { authenticate } from 'auth-sdk-m8/express';
import type { RoleName, TokenPolicy, TokenUserData } from 'auth-sdk-m8';
import { expectType, type Equal } from './assert';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      id: string;
      username: string;
    }
  }
}

declare const policy: TokenPolicy;

passport.serializeUser((user, done) => {
  done(null, user.id);
});
passport.deserializeUser((id: string, done) => {
  // The app builds its own users: only its own fields are required.
  done(null, { id, username: 'alice' });
});

export const app = express();
app.get('/me', authenticate({ policy, optional: true }), (req, res) => {
  if (req.user !== undefined) {
    const id: string = req.user.id;
    const username: string = req.user.username;
    res.json({ id, username });
  }
  const sub: string | undefined = req.auth?.sub;
  expectType<Equal<typeof req.auth, TokenUserData | undefined>>(true);
  res.json({ sub });
});

export function login(req: express.Request): void {
  req.login({ id: 'u-1', username: 'alice' }, () => undefined);
}

// Both declarations merge: the app's fields as it declared them, ours optional (a session user
// of the app has none of them).
expectType<Equal<Express.User['username'], string>>(true);
expectType<Equal<Express.User['id'], string>>(true);
expectType<Equal<Express.User['role'], RoleName | undefined>>(true);
expectType<Equal<Express.User['email'], string | undefined>>(true);
