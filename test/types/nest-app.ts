/**
 * `auth-sdk-m8/nest` under `exactOptionalPropertyTypes`: every optional option accepts an
 * explicit `undefined` (`{ realm: process.env.REALM }`), and wrong uses do not compile.
 */
import type { TokenPolicy, TokenUserData } from 'auth-sdk-m8';
import { AuthModule, Claims, RequireRole, type AuthModuleOptions } from 'auth-sdk-m8/nest';
import { createJwtStrategy } from 'auth-sdk-m8/passport';

declare const policy: TokenPolicy;

const options: AuthModuleOptions = {
  policy,
  settings: undefined,
  revocationStore: undefined,
  issuer: undefined,
  refreshPolicy: undefined,
  findUser: undefined,
  verifyCredentials: undefined,
  sessions: undefined,
  cookies: undefined,
  rateLimit: undefined,
  cookie: undefined,
  csrf: undefined,
  realm: undefined,
  logger: undefined,
  hooks: undefined,
};
AuthModule.forRoot({ ...options, routes: undefined, exceptionFilter: undefined });
AuthModule.forRoot({ policy, routes: { prefix: undefined } });
AuthModule.forRootAsync({
  imports: undefined,
  inject: undefined,
  routes: undefined,
  exceptionFilter: undefined,
  useFactory: (realm: string) => ({ policy, realm }),
});

// Passport's verify callbacks are typed from the options.
createJwtStrategy({ policy }, (claims: TokenUserData, done) => done(null, { id: claims.sub }));
createJwtStrategy({ policy, passReqToCallback: true }, (req, claims, done) =>
  done(null, { id: claims.sub, ip: req.ip }),
);

// @ts-expect-error 'owner' is not a role
RequireRole('owner');
// @ts-expect-error a claim name the tokens do not carry
Claims('password');
