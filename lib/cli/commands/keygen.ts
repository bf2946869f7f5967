/** `auth-sdk-m8 keygen`: HS256 secrets, or an ES256/RS256 key pair, with the `.env` lines. */
import { SECRET_KEY_RULE } from '../../core/secret-rule';
import { parseOptions } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { printEnvFile, printHelp } from '../output';
import { GENERATED_SECRET_LENGTH, generateSecret } from '../secret';
import { TOKEN_MODE_NOTE, writeKeyPair, type KeyPairRequest } from './key-pair';

const USAGE = `Usage: auth-sdk-m8 keygen --alg HS256
       auth-sdk-m8 keygen --alg ES256|RS256 --out DIR [--bits 2048|3072|4096] [--kid KID] [--force]

  --alg    HS256 (shared secrets, printed), ES256 (P-256, recommended) or RS256
  --out    ES256/RS256: folder for private.pem (mode 0600) and public.pem (mode 0644)
  --bits   RSA modulus size for RS256 (default 3072)
  --kid    key id (default: the RFC 7638 thumbprint)
  --force  overwrite existing files
Prints the .env lines of an issuer and of a consumer.`;

const RSA_BITS = [2048, 3072, 4096];

function keygen(args: string[], io: CliIo): number {
  const values = parseOptions(args, {
    alg: { type: 'string' },
    out: { type: 'string' },
    bits: { type: 'string' },
    kid: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) return printHelp(io, USAGE);
  const { alg } = values;
  if (alg === 'HS256') {
    if (values.out !== undefined || values.bits !== undefined || values.kid !== undefined) {
      throw new UsageError('--out, --bits and --kid are for ES256/RS256; HS256 writes no file.');
    }
    return printSecrets(io);
  }
  if (alg !== 'ES256' && alg !== 'RS256') {
    throw new UsageError('--alg must be HS256, ES256 or RS256.');
  }
  if (!values.out) throw new UsageError('--out DIR is required for ES256/RS256.');
  const bits = Number(values.bits ?? 3072);
  if (alg === 'RS256' && !RSA_BITS.includes(bits)) {
    throw new UsageError('--bits must be 2048, 3072 or 4096.');
  }
  const request: KeyPairRequest = { alg, bits, out: values.out, force: values.force === true };
  if (values.kid !== undefined) request.kid = values.kid;
  return writeKeyPair(request, io);
}

/** `keygen --alg HS256`: two secrets inside the secret rule and the .env lines that use them. */
function printSecrets(io: CliIo): number {
  const access = generateSecret();
  const refresh = generateSecret();
  io.out(
    `Generated ACCESS_SECRET_KEY and REFRESH_SECRET_KEY: ${GENERATED_SECRET_LENGTH} random characters each, ${SECRET_KEY_RULE}.`,
  );
  printEnvFile(io, 'Issuer .env (the service that signs tokens):', [
    'AUTH_SERVICE_ROLE=issuer',
    'ACCESS_TOKEN_ALGORITHM=HS256',
    `ACCESS_SECRET_KEY=${access}`,
    `REFRESH_SECRET_KEY=${refresh}`,
    TOKEN_MODE_NOTE,
  ]);
  io.out('');
  printEnvFile(
    io,
    'Consumer .env (services that only validate tokens; the same ACCESS_SECRET_KEY):',
    [
      'AUTH_SERVICE_ROLE=consumer',
      'ACCESS_TOKEN_ALGORITHM=HS256',
      `ACCESS_SECRET_KEY=${access}`,
      TOKEN_MODE_NOTE,
    ],
  );
  return 0;
}

export const keygenCommand: CliCommand = {
  name: 'keygen',
  summary: 'Generate HS256 secrets, or an ES256/RS256 key pair and its JWKS, with .env lines',
  usage: USAGE,
  run: keygen,
};
