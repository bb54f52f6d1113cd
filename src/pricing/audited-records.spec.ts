import type { Model } from 'mongoose';
import { Types } from 'mongoose';
import type { AuditActor, AuditLog } from '../audit/audit-log.service';
import { AuditedRecords } from './audited-records';

/**
 * `written` (the pricing settings cache's bump) follows every write, also one that threw: a write
 * whose answer was lost (a dropped connection, a write concern timeout) may have been applied.
 */
describe('AuditedRecords tells `written` after every write', () => {
  const actor: AuditActor = { id: new Types.ObjectId().toHexString(), email: 'admin@example.test' };
  const setUp = (model: object) => {
    const written = jest.fn(async () => undefined);
    const audit = { record: jest.fn(async () => undefined) } as unknown as AuditLog;
    const records = new AuditedRecords(model as unknown as Model<{ _id: Types.ObjectId }>, audit, 'taxRate', 'Tax rate', written);
    return { records, written, audit };
  };

  it('after a create, and after a create that threw (no audit entry then)', async () => {
    const _id = new Types.ObjectId();
    const ok = setUp({ create: async () => ({ toObject: () => ({ _id }) }) });
    await ok.records.create({}, actor);
    expect(ok.written).toHaveBeenCalledTimes(1);

    const lost = setUp({ create: async () => Promise.reject(new Error('connection closed')) });
    await expect(lost.records.create({}, actor)).rejects.toThrow('connection closed');
    expect(lost.written).toHaveBeenCalledTimes(1);
    expect(lost.audit.record).not.toHaveBeenCalled();
  });

  it('after a delete that threw', async () => {
    const lost = setUp({ findOneAndDelete: () => ({ lean: async () => Promise.reject(new Error('write concern timeout')) }) });
    await expect(lost.records.remove(new Types.ObjectId().toHexString(), actor)).rejects.toThrow('write concern timeout');
    expect(lost.written).toHaveBeenCalledTimes(1);
  });
});
