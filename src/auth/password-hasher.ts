import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { BusyError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { BoundedConcurrency } from './bounded-concurrency';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): strong, and cheap enough for 2 cores.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A hash takes well under a second on an idle core; a slot is likely free again by then. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Every argon2 computation of the process goes through a bounded number of slots: a flood of
 * registrations or logins then gets quick 503s instead of queuing without end, exhausting
 * memory (19 MiB per hash) and libuv's threads, and stalling every other request.
 */
@Injectable()
export class PasswordHasher {
  private readonly slots: BoundedConcurrency;
  private readonly dummyHash = argon2.hash('timing-equalizer-not-a-password', OPTIONS);

  constructor(config: AppConfig) {
    this.slots = new BoundedConcurrency(config.get('PASSWORD_HASH_CONCURRENCY'), config.get('PASSWORD_HASH_QUEUE'));
  }

  hash(password: string): Promise<string> {
    return this.inSlot(() => argon2.hash(password, OPTIONS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return this.inSlot(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  /** Spends the time of one verification, so an unknown email answers as slowly as a wrong password. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private inSlot<T>(work: () => Promise<T>): Promise<T> {
    return this.slots.run(work, () => new BusyError('Too many password checks in progress; try again shortly', RETRY_AFTER_SECONDS));
  }
}
