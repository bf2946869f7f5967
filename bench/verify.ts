/**
 * Verification micro-benchmark: per algorithm, ≥ 1000 distinct pre-signed tokens cycled
 * (uncached paths) and one repeated token (cache-hit paths); warm-up, then interleaved rounds;
 * median ops/s and the ratio to the node:crypto floor.
 */
import { createVerifier } from 'fast-jwt';
import * as jose from 'jose';
import jwt from 'jsonwebtoken';
import { TokenValidator } from '../lib/security/token-validator';
import { createValidationConfig } from '../lib/security/validation-config';
import { floorVerifier } from './floor';
import { ALGS, AUDIENCE, ISSUER, keysFor, tokensFor, type Alg } from './keys';
import {
  QUICK,
  compare,
  fmt,
  measureAsync,
  measureSync,
  table,
  writeResult,
  type Bar,
  type Contender,
} from './lib';

export interface VerifyResult {
  alg: Alg;
  opsPerSecond: Record<string, number>;
}

export async function runVerify(): Promise<{ results: VerifyResult[]; bars: Bar[]; text: string }> {
  const rounds = QUICK ? 3 : 5;
  const ms = QUICK ? 200 : 300;
  const results: VerifyResult[] = [];
  let text = '';
  const bars: Bar[] = [];
  for (const alg of ALGS) {
    const keys = keysFor(alg);
    const tokens = tokensFor(keys, 1000);
    const one = tokens[0];
    const at = (i: number): string => tokens[i % tokens.length];
    const floor = floorVerifier(alg, keys.verifyKeyObject);
    const config = createValidationConfig({
      allowedAlgorithms: [alg],
      issuer: ISSUER,
      audience: AUDIENCE,
      requireIss: true,
      requireAud: true,
    });
    const oursUncached = new TokenValidator({
      secret: { key: keys.verifyString, algorithm: alg },
      config,
      cache: false,
    });
    const oursKeyObject = new TokenValidator({
      secret: { key: keys.verifyKeyObject, algorithm: alg },
      config,
      cache: false,
    });
    const oursCached = new TokenValidator({
      secret: { key: keys.verifyString, algorithm: alg },
      config,
    });
    const joseKey =
      alg === 'HS256' ? new TextEncoder().encode(keys.verifyString) : keys.verifyKeyObject;
    const joseOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
    const jwtOptions = {
      algorithms: [alg],
      issuer: ISSUER,
      audience: AUDIENCE,
    } as jwt.VerifyOptions;
    const fastNoCache = createVerifier({
      key: keys.verifyString,
      algorithms: [alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
    });
    const fastCache = createVerifier({
      key: keys.verifyString,
      algorithms: [alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      cache: true,
    });
    const contenders: Contender[] = [
      { name: 'floor (node:crypto)', run: async (t) => measureSync((i) => floor(at(i)), t) },
      {
        name: 'jsonwebtoken (KeyObject)',
        run: async (t) =>
          measureSync((i) => jwt.verify(at(i), keys.verifyKeyObject, jwtOptions), t),
      },
      {
        name: 'jsonwebtoken (string/PEM)',
        run: async (t) => measureSync((i) => jwt.verify(at(i), keys.verifyString, jwtOptions), t),
      },
      {
        name: 'jose (imported key)',
        run: (t) => measureAsync((i) => jose.jwtVerify(at(i), joseKey, joseOptions), t),
      },
      { name: 'fast-jwt (no cache)', run: async (t) => measureSync((i) => fastNoCache(at(i)), t) },
      {
        name: 'ours (string/PEM, no cache)',
        run: (t) => measureAsync((i) => oursUncached.validateAccessToken(at(i)), t),
      },
      {
        name: 'ours (KeyObject, no cache)',
        run: (t) => measureAsync((i) => oursKeyObject.validateAccessToken(at(i)), t),
      },
      { name: 'fast-jwt cache hit', run: async (t) => measureSync(() => fastCache(one), t) },
      {
        name: 'ours cache hit',
        run: (t) => measureAsync(() => oursCached.validateAccessToken(one), t),
      },
    ];
    const medians = await compare(contenders, rounds, ms);
    const floorOps = medians.get('floor (node:crypto)')!;
    const rows = [...medians].map(([name, ops]) => [name, fmt(ops), (ops / floorOps).toFixed(2)]);
    text += table(
      `Verification ${alg} (median ops/s of ${rounds} interleaved rounds, ratio to the floor)`,
      ['contender', 'ops/s', 'x floor'],
      rows,
    );
    results.push({ alg, opsPerSecond: Object.fromEntries(medians) });
    const ours = Math.min(
      medians.get('ours (string/PEM, no cache)')!,
      medians.get('ours (KeyObject, no cache)')!,
    );
    const peers = [
      'jsonwebtoken (KeyObject)',
      'jsonwebtoken (string/PEM)',
      'jose (imported key)',
      'fast-jwt (no cache)',
    ].map((n) => medians.get(n)!);
    bars.push({
      name: `${alg} uncached >= 0.9x floor`,
      ok: ours >= 0.9 * floorOps,
      detail: `${(ours / floorOps).toFixed(2)}x`,
    });
    bars.push({
      name: `${alg} uncached ahead of jsonwebtoken, jose, fast-jwt`,
      ok: peers.every((p) => ours > p),
      detail: `ours ${fmt(ours)} vs best peer ${fmt(Math.max(...peers))}`,
    });
    const hit = medians.get('ours cache hit')!;
    const fastHit = medians.get('fast-jwt cache hit')!;
    bars.push({
      name: `${alg} cache hit >= 1.5x fast-jwt cache hit`,
      ok: hit >= 1.5 * fastHit,
      detail: `${(hit / fastHit).toFixed(2)}x`,
    });
  }
  writeResult('verify', { results });
  return { results, bars, text };
}
