import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Error as MongooseError, Model } from 'mongoose';
import { StateConflictError, isDuplicateKeyError, NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { SessionsService } from '../access/sessions.service';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { setReturningBoth } from '../audit/audited-set';
import type { Role } from '../access/roles';
import { User, UserDocument } from './schemas/user.schema';

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role?: Role;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User.name) private readonly users: Model<User>,
    private readonly sessions: SessionsService,
    private readonly audit: AuditLog,
  ) {}

  /** Relies on the unique index, not on a prior lookup, so two racing sign-ups cannot both win. */
  async create(user: NewUser): Promise<UserDocument> {
    try {
      return await this.users.create({ ...user, email: normalizeEmail(user.email) });
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new StateConflictError('An account with this email already exists');
      }
      throw error;
    }
  }

  async getById(id: string): Promise<UserDocument> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundError('User not found');
    return user;
  }

  /** The only lookup that loads the password hash. */
  async credentialsOf(id: string): Promise<Pick<User, 'passwordHash' | 'role'> | null> {
    return this.users.findById(id, { passwordHash: 1, role: 1 }).select('+passwordHash').lean();
  }

  async findByEmail(email: string): Promise<UserDocument | null> {
    return this.users.findOne({ email: normalizeEmail(email) });
  }

  async list(query: PaginationQueryDto): Promise<Paginated<UserDocument>> {
    const [items, total] = await Promise.all([
      this.users.find().sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit),
      this.users.countDocuments(),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }

  /**
   * Access tokens carry the role, so a changed role signs the user out everywhere: nobody keeps
   * admin rights on an old token after being demoted. `actor` is the admin: the change is in the
   * audit log with the user just before and after this write (never the password hash).
   */
  async changeRole(id: string, role: Role, actor: AuditActor): Promise<User> {
    // One atomic update: no read-modify-save, so a concurrent address-book edit cannot collide.
    const written = await setReturningBoth(this.users, { _id: id }, { role });
    if (!written) throw new NotFoundError('User not found');
    if (written.before.role !== role) await this.sessions.revokeAllForUser(id);
    await this.audit.record(actor, { action: 'user.roleChanged', entity: 'user', entityId: written.before._id, before: written.before, after: written.after });
    return written.after;
  }

  /**
   * Writes an address book changed on the document as read (AddressesService holds the rules).
   * The save is conditioned on the document's version: an edit in between is a 409, not lost.
   */
  async saveAddressBook(user: UserDocument): Promise<void> {
    try {
      await user.save();
    } catch (error) {
      if (error instanceof MongooseError.VersionError) {
        throw new StateConflictError('The address book was changed by another request; try again');
      }
      throw error;
    }
  }

  /** The owner proved the address (accounts cannot change their email, so the token's user is enough). False when no such account. */
  async markEmailVerified(id: string): Promise<boolean> {
    const result = await this.users.updateOne({ _id: id }, { $set: { emailVerified: true } });
    return result.matchedCount === 1;
  }

  /** A new password signs the user out everywhere (password reset, account recovery). */
  async changePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.updateOne({ _id: id }, { $set: { passwordHash } });
    await this.sessions.revokeAllForUser(id);
  }
}
