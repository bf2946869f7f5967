/** The memory-check server: authenticate() + stateful in-memory policy; `/__probe` runs GC. */
import express from 'express';
import { authenticate, errorHandler } from '../../lib/express';
import { TokenPolicy } from '../../lib/security/token-policy';
import { TokenValidator } from '../../lib/security/token-validator';
import { createValidationConfig } from '../../lib/security/validation-config';
import { MemoryRevocationStore } from '../../stores/memory';
import { AUDIENCE, ISSUER, keysFor, tokensFor } from '../keys';

const keys = keysFor('HS256');
const tokens = tokensFor(keys, 50);
const config = createValidationConfig({
  allowedAlgorithms: ['HS256'],
  issuer: ISSUER,
  audience: AUDIENCE,
  requireIss: true,
  requireAud: true,
});
const policy = new TokenPolicy({
  validator: new TokenValidator({ secret: { key: keys.verifyString, algorithm: 'HS256' }, config }),
  revocationStore: new MemoryRevocationStore(),
});
const app = express();
app.get('/__probe', (_req, res) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  const resources: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
  res.json({ heapUsed: process.memoryUsage().heapUsed, resources });
});
app.use(authenticate({ policy }));
app.get('/protected', (req, res) => {
  res.json({ ok: true, sub: req.auth?.sub });
});
app.use(errorHandler());
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`READY ${port} ${tokens.join(' ')}\n`);
});
