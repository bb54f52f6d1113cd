import type { AppConfig } from '../config/app-config';
import { BackupStore } from './backup-store';

const configOf = (values: Record<string, unknown>) =>
  ({ get: (key: string) => ({ S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true, BACKUP_BUCKET: 'shop-backups', BACKUP_PREFIX: '', ...values })[key] }) as unknown as AppConfig;
const apiKey = { S3_ACCESS_KEY_ID: 'shop-api', S3_SECRET_ACCESS_KEY: 'api-secret-1234' };

describe("BackupStore's credentials", () => {
  it("never borrows the API's key in production: backups need BACKUP_S3_* of their own", () => {
    expect(() => new BackupStore(configOf({ NODE_ENV: 'production', ...apiKey }))).toThrow(/BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY/);
    expect(
      () => new BackupStore(configOf({ NODE_ENV: 'production', ...apiKey, BACKUP_S3_ACCESS_KEY_ID: 'shop-backup', BACKUP_S3_SECRET_ACCESS_KEY: 'backup-secret-99' })),
    ).not.toThrow();
  });

  it('refuses half a key, and shares the one local key outside production', () => {
    expect(() => new BackupStore(configOf({ NODE_ENV: 'development', ...apiKey, BACKUP_S3_ACCESS_KEY_ID: 'shop-backup' }))).toThrow(/both/);
    expect(() => new BackupStore(configOf({ NODE_ENV: 'development', ...apiKey }))).not.toThrow();
  });
});
