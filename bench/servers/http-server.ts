/**
 * One HTTP contender per child process: `GET /protected` behind the middleware named by
 * BENCH_CONTENDER, verifying BENCH_ALG tokens. Prints `READY <port> <token>` once listening.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { expressjwt } from 'express-jwt';
import { auth as oauth2Bearer } from 'express-oauth2-jwt-bearer';
import passport from 'passport';
import { ExtractJwt, Strategy as PassportJwtStrategy } from 'passport-jwt';
import { createClient } from 'redis';
import { authenticate, errorHandler } from '../../lib/express';
import { TokenIssuer } from '../../lib/security/token-issuer';
import { TokenPolicy } from '../../lib/security/token-policy';
import { TokenValidator } from '../../lib/security/token-validator';
import { createValidationConfig } from '../../lib/security/validation-config';
import { RedisRevocationStore } from '../../stores/redis/revocation-store';
import { floorVerifier } from '../floor';
import { AUDIENCE, ISSUER, keysFor, tokensFor, type Alg } from '../keys';

const contender = process.env.BENCH_CONTENDER ?? 'bare';
const alg = (process.env.BENCH_ALG ?? 'HS256') as Alg;

async function main(): Promise<void> {
  const keys = keysFor(alg);
  const [token] = tokensFor(keys, 1);
  const app = express();
  app.disable('x-powered-by');
  // Server CPU time, read by the driver around each load run (cost per request is far less
  // sensitive than req/s to a noisy shared machine). Registered before any auth middleware.
  app.get('/__cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ micros: user + system });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const config = createValidationConfig({
    allowedAlgorithms: [alg],
    issuer: ISSUER,
    audience: AUDIENCE,
    requireIss: true,
    requireAud: true,
  });

  switch (contender) {
    case 'bare':
      break;
    case 'noop':
      // The cost of one pass-through middleware: what any auth middleware pays before working.
      app.use((_req: Request, _res: Response, next: NextFunction) => next());
      break;
    case 'floor': {
      const verify = floorVerifier(alg, keys.verifyKeyObject);
      app.use((req: Request, res: Response, next: NextFunction) => {
        const header = req.headers.authorization ?? '';
        try {
          (req as unknown as { auth: unknown }).auth = verify(header.slice(7));
          next();
        } catch {
          res.status(401).end();
        }
      });
      break;
    }
    case 'express-jwt':
      app.use(
        expressjwt({
          secret: keys.verifyKeyObject,
          algorithms: [alg],
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
      );
      break;
    case 'passport-jwt':
      passport.use(
        new PassportJwtStrategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKey: keys.verifyKeyObject as unknown as string,
            algorithms: [alg],
            issuer: ISSUER,
            audience: AUDIENCE,
          },
          (payload: unknown, done: (err: unknown, user?: unknown) => void) => done(null, payload),
        ),
      );
      app.use(passport.initialize());
      app.use(passport.authenticate('jwt', { session: false }));
      break;
    case 'oauth2-jwt-bearer':
      if (alg === 'HS256') {
        app.use(
          oauth2Bearer({
            secret: keys.verifyString,
            tokenSigningAlg: 'HS256',
            issuer: ISSUER,
            audience: AUDIENCE,
          }),
        );
      } else {
        // The kid our TokenIssuer puts in the header: the RFC 7638 thumbprint.
        const kid = TokenIssuer.thumbprint(keys.verifyKeyObject);
        const jwks = {
          keys: [{ ...keys.verifyKeyObject.export({ format: 'jwk' }), kid, use: 'sig', alg }],
        };
        app.get('/jwks', (_req, res) => {
          res.json(jwks);
        });
        app.use(
          '/protected',
          oauth2Bearer({
            jwksUri: `http://127.0.0.1:${port}/jwks`,
            issuer: ISSUER,
            audience: AUDIENCE,
            tokenSigningAlg: alg,
          }),
        );
      }
      break;
    case 'ours':
    case 'ours-cached': {
      const validator = new TokenValidator({
        secret: { key: keys.verifyString, algorithm: alg },
        config,
        cache: contender === 'ours-cached',
      });
      app.use(authenticate({ validator }));
      break;
    }
    case 'ours-redis': {
      const client = createClient({
        url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
        disableOfflineQueue: true,
      });
      await client.connect();
      const validator = new TokenValidator({
        secret: { key: keys.verifyString, algorithm: alg },
        config,
      });
      const policy = new TokenPolicy({
        validator,
        revocationStore: new RedisRevocationStore({ client, keyPrefix: 'bench:blacklist:' }),
        tokenMode: 'stateful',
      });
      app.use(authenticate({ policy }));
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  app.get('/protected', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler());
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status((err as { status?: number }).status ?? 500).end();
  });
  process.stdout.write(`READY ${port} ${token}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
