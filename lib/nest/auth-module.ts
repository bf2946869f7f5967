/**
 * `AuthModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`: a global
 * module providing the policy, issuer, refresh policy, flows and the guard's pipeline (tokens in
 * `tokens.ts`), the guards, `AuthFlowsService`, the exception filter (registered globally) and,
 * when asked, the auth routes' controller.
 */
import {
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { createAuthController } from './auth-controller';
import { AuthFlowsService } from './auth-flows.service';
import { AuthGuard, RolesGuard } from './auth-guard';
import { AuthExceptionFilter } from './exception-filter';
import { compileAuthOptions, type AuthModuleOptions, type CompiledAuth } from './options';
import {
  AUTH_AUTHENTICATOR,
  AUTH_FLOWS,
  AUTH_ISSUER,
  AUTH_OPTIONS,
  AUTH_POLICY,
  AUTH_REFRESH_POLICY,
} from './tokens';

/** What is decided when the module is imported, before any options exist. */
export interface AuthModuleSetup {
  /**
   * Mount the auth routes (`{ prefix }`, default `auth`): with `forRoot`, on whenever the flows'
   * parts are given; with `forRootAsync`, only when set (the factory's options must then give
   * the flows' parts, or start-up fails). `false`: none (call `AuthFlowsService` from your own).
   */
  routes?: { prefix?: string | undefined } | false | undefined;
  /** Register `AuthExceptionFilter` globally (`APP_FILTER`). Default true. */
  exceptionFilter?: boolean | undefined;
}

export interface AuthModuleAsyncOptions extends AuthModuleSetup {
  imports?: ModuleMetadata['imports'];
  inject?: Array<InjectionToken | OptionalFactoryDependency> | undefined;
  /** Called with the `inject`ed providers, in order. */
  useFactory(...args: never[]): AuthModuleOptions | Promise<AuthModuleOptions>;
}

const COMPILED = 'AUTH_SDK_M8_COMPILED';

export class AuthModule {
  static forRoot(options: AuthModuleOptions & AuthModuleSetup): DynamicModule {
    const { routes, exceptionFilter, ...moduleOptions } = options;
    const flowParts =
      options.issuer !== undefined ||
      options.refreshPolicy !== undefined ||
      options.findUser !== undefined;
    return build(
      { provide: AUTH_OPTIONS, useValue: moduleOptions },
      { routes: routes ?? (flowParts ? {} : false), exceptionFilter },
    );
  }

  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    const factory = options.useFactory as (
      ...args: unknown[]
    ) => AuthModuleOptions | Promise<AuthModuleOptions>;
    return {
      ...build(
        { provide: AUTH_OPTIONS, useFactory: factory, inject: options.inject ?? [] },
        { routes: options.routes ?? false, exceptionFilter: options.exceptionFilter },
      ),
      imports: options.imports ?? [],
    };
  }
}

Module({})(AuthModule);

function build(optionsProvider: Provider, setup: AuthModuleSetup): DynamicModule {
  const routes = setup.routes;
  const fromCompiled = (provide: string, pick: (c: CompiledAuth) => unknown): Provider => ({
    provide,
    useFactory: pick,
    inject: [COMPILED],
  });
  const providers: Provider[] = [
    optionsProvider,
    {
      provide: COMPILED,
      useFactory: (options: AuthModuleOptions) =>
        compileAuthOptions(options, { flows: routes !== false }),
      inject: [AUTH_OPTIONS],
    },
    fromCompiled(AUTH_POLICY, (c) => c.policy),
    fromCompiled(AUTH_ISSUER, (c) => c.options.issuer ?? null),
    fromCompiled(AUTH_REFRESH_POLICY, (c) => c.options.refreshPolicy ?? null),
    fromCompiled(AUTH_FLOWS, (c) => c.flows),
    fromCompiled(AUTH_AUTHENTICATOR, (c) => c.authenticate),
    AuthGuard,
    RolesGuard,
    AuthFlowsService,
    AuthExceptionFilter,
  ];
  if (setup.exceptionFilter !== false) {
    providers.push({ provide: APP_FILTER, useExisting: AuthExceptionFilter });
  }
  return {
    module: AuthModule,
    global: true,
    controllers: routes === false ? [] : [createAuthController(routes?.prefix ?? 'auth')],
    providers,
    exports: [
      AUTH_OPTIONS,
      AUTH_POLICY,
      AUTH_ISSUER,
      AUTH_REFRESH_POLICY,
      AUTH_FLOWS,
      AUTH_AUTHENTICATOR,
      AuthGuard,
      RolesGuard,
      AuthFlowsService,
      AuthExceptionFilter,
    ],
  };
}
