import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmailMessage } from './mail.types';

/**
 * What each template needs. Security emails (password reset, email verification) carry no user-chosen text: an
 * account name could be made to look like instructions from the shop.
 */
export interface TemplateContexts {
  'password-reset': { link: string; ttlMinutes: number; token: string };
  'email-verification': { link: string; ttlHours: number; token: string };
  'order-placed': OrderEmailContext & {
    lines: { title: string; quantity: number; unitPrice: string; lineTotal: string }[];
    subtotal: string;
    /** Present when promotions took something off the goods. */
    discount?: string;
    shipping: string;
    /** Present when the order carries tax; `taxIncluded` when the prices contain it. */
    tax?: string;
    taxIncluded?: boolean;
  };
  'order-paid': OrderEmailContext;
  'order-shipped': OrderEmailContext & { trackingNumber: string | null };
  'order-delivered': OrderEmailContext;
  /** `refund` is null when no payment was taken; `completed` once the provider confirmed it. */
  'order-cancelled': OrderEmailContext & { refund: { amount: string; completed: boolean } | null };
}
export type TemplateName = keyof TemplateContexts;

/** What every order email shows; amounts are already formatted in the order's currency. */
export interface OrderEmailContext {
  number: string;
  customerName: string;
  total: string;
}

const TEMPLATE_NAMES: { [N in TemplateName]: N } = {
  'password-reset': 'password-reset',
  'email-verification': 'email-verification',
  'order-placed': 'order-placed',
  'order-paid': 'order-paid',
  'order-shipped': 'order-shipped',
  'order-delivered': 'order-delivered',
  'order-cancelled': 'order-cancelled',
};
const TEMPLATE_DIR = join(__dirname, 'templates');

type Render = (context: object) => string;
interface CompiledTemplate {
  subject: Render;
  text: Render;
  html: Render;
}

/**
 * Email templates as files (templates/<name>/{subject,text,html}.hbs), each email in a plain-text
 * and an HTML part. In the HTML part every `{{value}}` is HTML-escaped, so a product title or a
 * customer name containing markup shows as text; the text part and the subject show it verbatim
 * but on one line. Order emails pass the customer's name through inertUserText.
 * `strict` makes a template that names a missing value fail instead of leaving a blank.
 */
export function compileTemplate(sources: { subject: string; text: string; html: string }): CompiledTemplate {
  const engine = Handlebars.create();
  return {
    subject: engine.compile(sources.subject, { noEscape: true, strict: true }),
    text: engine.compile(sources.text, { noEscape: true, strict: true }),
    html: engine.compile(sources.html, { strict: true }),
  };
}

export function renderTemplate(template: CompiledTemplate, context: object, to: string): EmailMessage {
  return {
    to,
    // One line, whatever a value in it contains.
    subject: template.subject(context).replace(/\s+/g, ' ').trim(),
    // The text part's escaping: no value starts a line of its own (as markup in the HTML part
    // shows as text, a line break in a value shows as a space).
    text: template.text(mapStrings(context, oneLine)),
    html: template.html(context),
  };
}

/** Line breaks, tabs and other control or separator characters, in a run. */
const BREAKS = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu;
/** What mail clients turn into links: a scheme, `www.`, or a dotted host name ending in letters. */
const LINK_LIKE = /\b(?:[a-z][a-z0-9+.-]*:\/\/\S*|www\.\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b)/gi;

function oneLine(value: string): string {
  return value.replace(BREAKS, ' ');
}

/**
 * Text a customer chose (their name) as order emails show it, in both parts: on one line, and
 * with anything a mail client would make a link of defused (`evil[.]example`, `https[:]//…`), so
 * that an account name cannot put a working link or a paragraph of "instructions" into an
 * email sent from the shop's address.
 */
export function inertUserText(value: string): string {
  return oneLine(value)
    .trim()
    .replace(LINK_LIKE, (link) => link.replace(/:\/\//g, '[:]//').replace(/\./g, '[.]'));
}

function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)])) as T;
  return value;
}

/** Every template, read and compiled at start-up: a missing or broken file stops the process. */
@Injectable()
export class MailTemplates {
  private readonly templates = new Map<TemplateName, CompiledTemplate>();

  constructor() {
    for (const name of Object.values(TEMPLATE_NAMES)) {
      const read = (part: string) => readFileSync(join(TEMPLATE_DIR, name, `${part}.hbs`), 'utf8');
      this.templates.set(name, compileTemplate({ subject: read('subject'), text: read('text'), html: read('html') }));
    }
  }

  render<N extends TemplateName>(name: N, context: TemplateContexts[N], to: string): EmailMessage {
    return renderTemplate(this.templates.get(name)!, context, to);
  }
}
