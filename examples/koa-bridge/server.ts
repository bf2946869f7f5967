/**
 * `npm run example:koa`: the Koa bridge on PORT (default 3001) with a dev key and an in-memory
 * revocation store; prints a demo access token to try it with curl.
 */
import type { AddressInfo } from 'node:net';
import { buildAccessValidator, loadSettings, TokenIssuer, TokenPolicy } from 'auth-sdk-m8';
import { MemoryRevocationStore } from 'auth-sdk-m8/stores/memory';
import { applyDevDefaults } from '../common/dev-defaults';
import { DEMO_USER_ID } from '../common/users';
import { createApp } from './app';

async function main(): Promise<void> {
  const defaults = applyDevDefaults(process.env);
  const settings = loadSettings({ env: defaults.env });
  const policy = new TokenPolicy({
    validator: buildAccessValidator(settings),
    revocationStore: new MemoryRevocationStore(),
    tokenMode: settings.TOKEN_MODE,
  });
  const app = createApp({ policy, logger: console });
  // Demo tokens inside: listen on loopback unless HOST says otherwise.
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const shown = host.includes(':') ? `[${host}]` : host;
  const server = app.listen(Number(process.env.PORT || 3001), host);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = TokenIssuer.fromSettings(settings);
  const demo = issuer.issueAccessToken({
    sub: DEMO_USER_ID,
    email: 'user@example.com',
    role: 'user',
    is_active: true,
    email_verified: true,
    is_superuser: false,
  });
  console.log(
    `auth-sdk-m8 koa bridge listening on http://${shown}:${port} (algorithm ${settings.ACCESS_TOKEN_ALGORITHM})`,
  );
  console.log(`try: curl -H "Authorization: Bearer ${demo.token}" http://${shown}:${port}/me`);
  const stop = (): void => {
    server.close(() => {
      defaults.cleanup();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`koa bridge refused to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
