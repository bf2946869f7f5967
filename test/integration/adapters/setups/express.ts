import http from 'node:http';
import express from 'express';
import { Passport } from 'passport';
import { authenticate, errorHandler } from 'auth-sdk-m8/express';
import { createJwtStrategy } from 'auth-sdk-m8/passport';
import { quietLogger } from '../../express/auth-fixture';
import { listen } from './node-http';
import type { AdapterSetup } from './types';

export const expressSetup: AdapterSetup = {
  name: 'express',
  start: (options) => {
    const app = express();
    app.all('/me', authenticate(options), (req, res) => {
      res.json({ sub: req.auth!.sub });
    });
    app.use(errorHandler({ logger: quietLogger }));
    return listen(http.createServer(app));
  },
};

export const passportSetup: AdapterSetup = {
  name: 'passport',
  start: (options) => {
    const passport = new Passport();
    passport.use(createJwtStrategy(options));
    const app = express();
    app.use(passport.initialize());
    app.all(
      '/me',
      passport.authenticate('jwt', { session: false, failWithError: true }),
      (req, res) => {
        res.json({ sub: req.auth!.sub });
      },
    );
    app.use(errorHandler({ logger: quietLogger }));
    return listen(http.createServer(app));
  },
};
