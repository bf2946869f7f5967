/**
 * The example service on NestJS (platform-express): the same issuer (login, refresh, logout,
 * sessions, JWKS) and consumer (me, admin) as `examples/express`, built from the package's
 * public pieces only. Everything under /auth is `AuthModule`'s controller; the guard is global
 * and the app's routes say who may call them (`@Public()`, `@RequireRole()`).
 *
 * Every constructor parameter names its token (`@Inject(...)`): `npm run example:nest` runs on
 * tsx (esbuild), which emits no decorator metadata. Compiled with tsc and
 * `emitDecoratorMetadata`, as a Nest CLI project is, injection by type works too.
 */
import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { TokenIssuer, UserModel } from 'auth-sdk-m8';
import {
  AUTH_ISSUER,
  AuthGuard,
  AuthModule,
  Claims,
  CurrentUser,
  Public,
  RequireRole,
} from 'auth-sdk-m8/nest';
import type { ExampleServices } from '../common/bootstrap';
import { flowOptions } from '../common/flow-options';

export type { ExampleServices } from '../common/bootstrap';

@Controller()
class AccountController {
  @Get('auth/me')
  @Header('Cache-Control', 'no-store')
  me(@CurrentUser() user: UserModel): UserModel {
    return user;
  }

  @Get('admin')
  @RequireRole('admin')
  admin(@Claims('email') email: string, @Claims('role') role: string) {
    return { success: true, msg: `Welcome, ${email}`, role };
  }
}

@Public()
@Controller()
class PublicController {
  constructor(@Inject(AUTH_ISSUER) private readonly issuer: TokenIssuer) {}

  // The consumers' default JWKS_CACHE_TTL_SECONDS, so caches and consumers agree.
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  async jwks(): Promise<{ keys: readonly object[] }> {
    const { keys } = await this.issuer.jwks();
    return { keys };
  }

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }
}

/** The root module over ready services (see `bootstrap.ts` for how they are made). */
export function createAppModule(services: ExampleServices): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: [AuthModule.forRoot(flowOptions(services))],
    controllers: [AccountController, PublicController],
    providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
  };
}
