import { BACKUP_ID_PATTERN, backupIdTime, newBackupId } from './backup-manifest';

describe('backup ids', () => {
  it('carry their UTC time, sort by age and read back as that time', () => {
    const earlier = newBackupId(new Date('2026-11-25T21:46:05.123Z'));
    const later = newBackupId(new Date('2026-11-25T21:46:05.124Z'));
    expect(earlier).toMatch(/^20261125-214605-123-[0-9a-f]{4}$/);
    expect(earlier).toMatch(BACKUP_ID_PATTERN);
    expect([later, earlier].sort()).toEqual([earlier, later]);
    expect(backupIdTime(earlier).toISOString()).toBe('2026-11-25T21:46:05.123Z');
  });
});
