import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Error as MongooseError, Model } from 'mongoose';
import { StateConflictError, isDuplicateKeyError, NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { SessionsService } from '../access/sessions.service';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { setReturningBoth, type BeforeAfter } from '../audit/audited-set';
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
      return await this.users.create({ ...user, email: normalizeEmail(user.email), sessionGeneration: 0 });
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

  /**
   * The only lookup that loads the password hash; with the role and the session generation of the
   * same read, so a session started on them is of the password it checked.
   */
  async credentialsOf(id: string): Promise<(Pick<User, 'passwordHash' | 'role'> & { sessionGeneration: number }) | null> {
    const found = await this.users.findById(id, { passwordHash: 1, role: 1, sessionGeneration: 1 }).select('+passwordHash').lean();
    return found && { passwordHash: found.passwordHash, role: found.role, sessionGeneration: found.sessionGeneration ?? 0 };
  }

  /**
   * The role stored with the user, for a session of theirs begun in session generation
   * `generation`. Null, and the session ended, when the user is gone or every session of that
   * generation was ended: the session was still in Redis because Redis lost its deletion (a
   * demotion, a password reset), or the process died before deleting it.
   */
  async roleForSession(userId: string, sessionId: string, generation: number): Promise<Role | null> {
    const found = await this.users.findById(userId, { role: 1, sessionGeneration: 1 }).lean();
    if (found && (found.sessionGeneration ?? 0) === generation) return found.role;
    await this.sessions.revoke(sessionId, userId);
    return null;
  }

  /** The user's session generation as stored (null when there is no such user). */
  async sessionGenerationOf(id: string): Promise<number | null> {
    const found = await this.users.findById(id, { sessionGeneration: 1 }).lean();
    return found && (found.sessionGeneration ?? 0);
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
    // The role and the session generation move in the same write, which only matches another
    // role: the same role again ends no session (and, changing nothing, is not in the audit log).
    const written = await this.setRole(id, role);
    if (written.before.role !== role) await this.sessions.revokeAllForUser(id, written.after.sessionGeneration ?? 0);
    await this.audit.record(actor, { action: 'user.roleChanged', entity: 'user', entityId: written.before._id, before: written.before, after: written.after });
    return written.after;
  }

  /**
   * The user before and after `role` was set, with the generation moved when the role changed.
   * When the write matched nothing (the user has that role, or does not exist) the user is read;
   * another role read there was set in between, and the write is tried again.
   */
  private async setRole(id: string, role: Role): Promise<BeforeAfter<User>> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const written = await setReturningBoth(this.users, { _id: id, role: { $ne: role } }, { role }, new Date(), { sessionGeneration: 1 });
      if (written) return written;
      const user = await this.users.findById(id);
      if (!user) throw new NotFoundError('User not found');
      if (user.role === role) {
        const plain = user.toObject({ versionKey: false }) as User;
        return { before: plain, after: plain };
      }
    }
    throw new StateConflictError('The role is being changed by other requests; try again');
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

  /**
   * A new password signs the user out everywhere (password reset, account recovery). With
   * `generation` (the one a reset link was issued in), only while the user is still in it: a link
   * issued before any later password or role change is spent, even when Redis brought it back.
   * False when nothing was changed (no such user, or the generation moved on).
   */
  async changePasswordHash(id: string, passwordHash: string, generation?: number): Promise<boolean> {
    const inGeneration = generation === undefined ? {} : { sessionGeneration: generation === 0 ? { $in: [0, null] } : generation };
    // The new password and the generation in one write: a process dying before Redis hears of
    // it, or Redis losing the deletes, leaves no session able to refresh. The new generation is
    // the pre-image's plus one: the stand-in's post-image can show another writer's (ARCHITECTURE.md).
    const before = await this.users
      .findOneAndUpdate({ _id: id, ...inGeneration }, { $set: { passwordHash }, $inc: { sessionGeneration: 1 } }, { returnDocument: 'before', projection: { sessionGeneration: 1 } })
      .lean();
    if (!before) return false;
    await this.sessions.revokeAllForUser(id, (before.sessionGeneration ?? 0) + 1);
    return true;
  }
}
