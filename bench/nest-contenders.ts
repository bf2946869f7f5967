/**
 * The Nest contenders, one root module each, guarding `GET /protected` globally:
 * - `bare`: no guard; `noop`: a guard that lets everything through (what any guard costs);
 * - `passport-jwt`: `@nestjs/passport`'s `AuthGuard('jwt')` over passport-jwt's strategy, the
 *   way Nest's docs build it (a `PassportStrategy(Strategy)` whose `validate()` returns the
 *   payload), given a KeyObject (its best case);
 * - `ours` / `ours-cached`: `AuthModule` + `AuthGuard` over a stateless `TokenPolicy`, the
 *   verified-token cache off / on.
 * Every contender checks the signature, `exp`, `iss` and `aud`.
 */
import { Controller, Get, Injectable, Module, type CanActivate, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy } from 'passport-jwt';
import { AuthGuard, AuthModule } from '../lib/nest';
import { TokenPolicy } from '../lib/security/token-policy';
import { TokenValidator } from '../lib/security/token-validator';
import { createValidationConfig } from '../lib/security/validation-config';
import { AUDIENCE, ISSUER, type KeySet } from './keys';

export type NestContender = 'bare' | 'noop' | 'passport-jwt' | 'ours' | 'ours-cached';

@Controller()
export class ProtectedController {
  @Get('protected')
  protected(): { ok: boolean } {
    return { ok: true };
  }
}

@Injectable()
class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The root module of `contender` and the class of its global guard (none for `bare`). */
export function nestContender(
  contender: NestContender,
  keys: KeySet,
): { module: Type<unknown>; guard: Type<CanActivate> | undefined } {
  const imports: Array<Type<unknown> | ReturnType<typeof AuthModule.forRoot>> = [];
  const providers: unknown[] = [];
  let guard: Type<CanActivate> | undefined;
  if (contender === 'noop') guard = NoopGuard;
  if (contender === 'passport-jwt') {
    // A fresh strategy name per module: Passport keeps its strategies in one global registry.
    const name = `bench-jwt-${keys.alg}`;
    @Injectable()
    class JwtStrategy extends PassportStrategy(PassportJwtStrategy, name) {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKey: keys.verifyKeyObject as unknown as string,
          algorithms: [keys.alg],
          issuer: ISSUER,
          audience: AUDIENCE,
        });
      }

      validate(payload: unknown): unknown {
        return payload;
      }
    }
    providers.push(JwtStrategy);
    guard = PassportAuthGuard(name) as Type<CanActivate>;
  }
  if (contender === 'ours' || contender === 'ours-cached') {
    const validator = new TokenValidator({
      secret: { key: keys.verifyString, algorithm: keys.alg },
      config: createValidationConfig({
        allowedAlgorithms: [keys.alg],
        issuer: ISSUER,
        audience: AUDIENCE,
        requireIss: true,
        requireAud: true,
      }),
      cache: contender === 'ours-cached',
    });
    imports.push(
      AuthModule.forRoot({ policy: new TokenPolicy({ validator, tokenMode: 'stateless' }) }),
    );
    guard = AuthGuard;
  }
  if (guard !== undefined) providers.push({ provide: APP_GUARD, useClass: guard });
  @Module({ imports, controllers: [ProtectedController], providers: providers as never[] })
  class BenchModule {}
  return { module: BenchModule, guard };
}
