import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when no account has that email.
 * An existing account is never touched, so a changed password or role survives restarts.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.get('ADMIN_EMAIL');
    const password = this.config.get('ADMIN_PASSWORD');
    if (!email || !password) return;
    if (await this.users.findByEmail(email)) return;
    try {
      await this.users.create({ email, name: 'Administrator', role: 'admin', passwordHash: await this.hasher.hash(password) });
      this.logger.log(`Created the first admin account ${email}`);
    } catch (error) {
      // Another API instance starting at the same moment created it first.
      if ((error as Error).name !== 'StateConflictError') throw error;
    }
  }
}
