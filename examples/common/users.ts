/**
 * The demo user directory: two users with scrypt-hashed passwords, checked in constant time.
 * A real service would read users from its database; the shape of the check is the same.
 */
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { RoleName, UserPayloadData } from 'auth-sdk-m8';

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;
const KEY_LENGTH = 32;

/**
 * scrypt's PBKDF2 step zero-pads a short key, so `pw` and `pw\0` would hash alike: the
 * password goes in with its length first, and is checked exactly as received.
 */
function hashPassword(password: string, salt: Buffer): Promise<Buffer> {
  const bytes = Buffer.from(password, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return scryptAsync(Buffer.concat([length, bytes]), salt, KEY_LENGTH);
}

export interface DemoUser extends UserPayloadData {
  id: string;
}

interface StoredUser {
  user: DemoUser;
  salt: Buffer;
  hash: Buffer;
}

export class DemoUserDirectory {
  readonly #byEmail: Map<string, StoredUser>;
  readonly #byId: Map<string, DemoUser>;
  // Verifying an unknown email still costs one scrypt, so timing does not reveal which emails exist.
  readonly #decoy: StoredUser;

  private constructor(users: StoredUser[], decoy: StoredUser) {
    this.#byEmail = new Map(users.map((u) => [u.user.email, u]));
    this.#byId = new Map(users.map((u) => [u.user.id, u.user]));
    this.#decoy = decoy;
  }

  /** admin@example.com (admin) and user@example.com (user), both with `password`. */
  static async create(
    password: string,
    ids: { admin?: string; user?: string } = {},
  ): Promise<DemoUserDirectory> {
    const make = async (email: string, role: RoleName, id: string, name: string) => {
      const salt = randomBytes(16);
      return {
        user: {
          id,
          email,
          full_name: name,
          avatar: null,
          is_active: true,
          email_verified: true,
          is_superuser: role === 'admin',
          role,
        },
        salt,
        hash: await hashPassword(password, salt),
      };
    };
    const users = await Promise.all([
      make('admin@example.com', 'admin', ids.admin ?? DEMO_ADMIN_ID, 'Demo Admin'),
      make('user@example.com', 'user', ids.user ?? DEMO_USER_ID, 'Demo User'),
    ]);
    const decoy = await make('decoy@invalid', 'user', randomUUID(), 'decoy');
    return new DemoUserDirectory(users, decoy);
  }

  /** The user when `email` and `password` match, else undefined. */
  async verify(email: string, password: string): Promise<DemoUser | undefined> {
    const stored = this.#byEmail.get(email.trim().toLowerCase());
    const target = stored ?? this.#decoy;
    const hash = await hashPassword(password, target.salt);
    const match = timingSafeEqual(hash, target.hash);
    return stored && match ? stored.user : undefined;
  }

  findById(id: string): DemoUser | undefined {
    return this.#byId.get(id);
  }
}

// Fixed ids so tokens and refresh families survive a restart of the demo (AUTH_STORE=redis).
export const DEMO_ADMIN_ID = '7d0e0a3c-3b0e-4c47-9a57-5f0c0e7a1a01';
export const DEMO_USER_ID = '7d0e0a3c-3b0e-4c47-9a57-5f0c0e7a1a02';
