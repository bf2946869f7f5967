/** Access-token revocation in one SQL table, on the database's clock. */
import type { RevocationStore } from '../../lib/security/store-contracts';
import { SqlStore, wholeSeconds } from './store-base';

export class SqlRevocationStore<Pool> extends SqlStore<Pool> implements RevocationStore {
  async revoke(jti: string, ttl: number): Promise<void> {
    const seconds = wholeSeconds(ttl);
    if (seconds <= 0) return;
    const t = this.tables.revoked;
    const d = this.dialect;
    await this.run(() =>
      this.sql(
        `INSERT INTO ${t} (jti, expires_at) VALUES (?, ${d.nowPlus('?')})
         ${d.upsert('jti', [`expires_at = GREATEST(${t}.expires_at, ${d.inserted('expires_at')})`])}`,
        [jti, seconds],
      ),
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.sql(
        `SELECT 1 AS hit FROM ${this.tables.revoked} WHERE jti = ? AND expires_at > ${this.dialect.now}`,
        [jti],
      ),
    );
    return result.rows.length > 0;
  }

  /** Delete expired revocations; resolves to how many rows went. */
  purgeExpired(): Promise<number> {
    return this.purgeExpiredRows(this.tables.revoked);
  }
}
