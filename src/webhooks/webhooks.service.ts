import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { setReturningBoth } from '../audit/audited-set';
import { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto';
import { WebhookEndpoint } from './schemas/webhook-endpoint.schema';

/** `whsec_` and 32 random bytes, hex. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** The admin's webhook endpoints; every change is in the audit log (without the secret). */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    private readonly audit: AuditLog,
  ) {}

  async create(dto: CreateWebhookDto, actor: AuditActor): Promise<WebhookEndpoint> {
    const created = (await this.endpoints.create({ url: dto.url, events: dto.events, active: dto.active ?? true, secret: newWebhookSecret() })).toObject();
    await this.audit.record(actor, { action: 'webhook.created', entity: 'webhook', entityId: created._id, before: null, after: created });
    return created;
  }

  async list(query: PaginationQueryDto): Promise<Paginated<WebhookEndpoint>> {
    const [items, total] = await Promise.all([
      this.endpoints.find().sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean<WebhookEndpoint[]>(),
      this.endpoints.countDocuments(),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }

  async get(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findById(id).lean<WebhookEndpoint>();
    if (!endpoint) throw new NotFoundError('Webhook not found');
    return endpoint;
  }

  async update(id: string, dto: UpdateWebhookDto, actor: AuditActor): Promise<WebhookEndpoint> {
    const set = Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined));
    return this.change(id, set, 'webhook.updated', actor);
  }

  /** A new secret at once: deliveries signed from now on use it. */
  async rotateSecret(id: string, actor: AuditActor): Promise<WebhookEndpoint> {
    return this.change(id, { secret: newWebhookSecret() }, 'webhook.secretRotated', actor);
  }

  async remove(id: string, actor: AuditActor): Promise<void> {
    const before = await this.endpoints.findOneAndDelete({ _id: id }).lean<WebhookEndpoint>();
    if (!before) throw new NotFoundError('Webhook not found');
    await this.audit.record(actor, { action: 'webhook.deleted', entity: 'webhook', entityId: before._id, before, after: null });
  }

  /** One atomic write, with its exact values before and after (setReturningBoth). */
  private async change(id: string, set: Partial<WebhookEndpoint>, action: string, actor: AuditActor): Promise<WebhookEndpoint> {
    const written = await setReturningBoth(this.endpoints, { _id: id }, set);
    if (!written) throw new NotFoundError('Webhook not found');
    await this.audit.record(actor, { action, entity: 'webhook', entityId: written.before._id, before: written.before, after: written.after });
    return written.after;
  }
}
