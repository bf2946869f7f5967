/** `keygen --alg ES256|RS256`: the key pair on disk, then its kid, JWKS and `.env` lines. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { JWKS_PATH } from '../../security/http/jwks';
import { TokenIssuer } from '../../security/token-issuer';
import { UsageError, type CliIo } from '../command';
import { printEnvFile } from '../output';
import { generateSecret } from '../secret';

export const TOKEN_MODE_NOTE =
  '# TOKEN_MODE: stateful (the default) and hybrid need REDIS_HOST + REDIS_PASSWORD or a store wired in code; stateless needs neither';

export interface KeyPairRequest {
  alg: 'ES256' | 'RS256';
  /** RSA modulus size (RS256 only). */
  bits: number;
  /** The folder, relative to the working directory. */
  out: string;
  kid?: string | undefined;
  force: boolean;
}

interface WrittenPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePath: string;
  publicPath: string;
}

export function writeKeyPair(request: KeyPairRequest, io: CliIo): number {
  const pair = writePemFiles(request, path.resolve(io.cwd, request.out));
  const { alg } = request;
  const kid = request.kid ?? TokenIssuer.thumbprint(pair.publicKey);
  const issuer = new TokenIssuer({
    accessKeys: [{ secret: { key: pair.privateKey, algorithm: alg }, kid }],
  });
  io.out(`Wrote ${pair.privatePath} (0600) and ${pair.publicPath} (0644).`);
  io.out(`kid: ${kid}`);
  io.out('JWKS:');
  io.out(JSON.stringify(issuer.jwks(), null, 2));
  printEnvFile(io, 'Issuer .env (the service that signs tokens):', [
    'AUTH_SERVICE_ROLE=issuer',
    `ACCESS_TOKEN_ALGORITHM=${alg}`,
    `ACCESS_PRIVATE_KEY_FILE=${pair.privatePath}`,
    `ACCESS_PUBLIC_KEY_FILE=${pair.publicPath}`,
    `ACCESS_KEY_ID=${kid}`,
    `REFRESH_SECRET_KEY=${generateSecret()}`,
    TOKEN_MODE_NOTE,
  ]);
  io.out('');
  printEnvFile(
    io,
    'Consumer .env (services that only validate tokens; copy public.pem, never private.pem):',
    [
      'AUTH_SERVICE_ROLE=consumer',
      `ACCESS_TOKEN_ALGORITHM=${alg}`,
      `ACCESS_PUBLIC_KEY_FILE=${pair.publicPath}`,
      `# or, instead of ACCESS_PUBLIC_KEY_FILE: JWKS_URI=https://<issuer host>${JWKS_PATH}`,
      TOKEN_MODE_NOTE,
    ],
  );
  return 0;
}

/** The private key readable by its owner only (0600), the public one by all (0644). */
function writePemFiles(request: KeyPairRequest, dir: string): WrittenPair {
  const privatePath = path.join(dir, 'private.pem');
  const publicPath = path.join(dir, 'public.pem');
  if (!request.force && (fs.existsSync(privatePath) || fs.existsSync(publicPath))) {
    throw new UsageError(`${privatePath} or ${publicPath} exists; pass --force to overwrite.`);
  }
  const { privateKey, publicKey } =
    request.alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: request.bits });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  // writeFileSync's mode applies only to a new file: an overwritten one (--force) keeps its own.
  fs.chmodSync(privatePath, 0o600);
  fs.writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
  fs.chmodSync(publicPath, 0o644);
  return { privateKey, publicKey, privatePath, publicPath };
}
