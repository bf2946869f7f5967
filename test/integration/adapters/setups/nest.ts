import { All, Controller, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { RequestAuthOptions, TokenUserData } from 'auth-sdk-m8';
import { AuthGuard, AuthModule, Claims, type AuthModuleOptions } from 'auth-sdk-m8/nest';
import { quietLogger } from '../../express/auth-fixture';
import type { AdapterSetup, RunningAdapter } from './types';

@Controller()
class MeController {
  @All('me')
  me(@Claims() claims: TokenUserData): { sub: string } {
    return { sub: claims.sub };
  }
}

/** The parity app: `AuthModule` over the matrix's options, the guard global, `/me` any method. */
async function startNest(
  options: RequestAuthOptions,
  platform: 'express' | 'fastify',
): Promise<RunningAdapter> {
  @Module({
    // The matrix's verdict source is a TokenPolicy or settings, both of which AuthModule takes.
    imports: [AuthModule.forRoot({ ...(options as AuthModuleOptions), logger: quietLogger })],
    controllers: [MeController],
    providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
  })
  class ParityModule {}

  const testing = await Test.createTestingModule({ imports: [ParityModule] }).compile();
  const app: INestApplication =
    platform === 'fastify'
      ? testing.createNestApplication(new FastifyAdapter(), { logger: false })
      : testing.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { base: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() };
}

export const nestExpressSetup: AdapterSetup = {
  name: 'nest-express',
  start: (options) => startNest(options, 'express'),
};

export const nestFastifySetup: AdapterSetup = {
  name: 'nest-fastify',
  start: (options) => startNest(options, 'fastify'),
};
