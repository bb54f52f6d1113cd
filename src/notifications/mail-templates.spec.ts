import { compileTemplate, inertUserText, MailTemplates, renderTemplate } from './mail-templates';

describe('email templates', () => {
  const order = compileTemplate({
    subject: 'Order {{number}} for {{name}}',
    text: 'Hello {{name}},\n{{#each lines}}{{title}} x{{quantity}}\n{{/each}}',
    html: '<p>Hello {{name}},</p><ul>{{#each lines}}<li>{{title}} x{{quantity}}</li>{{/each}}</ul>',
  });
  const hostile = { number: 'A-1', name: '<b>Eve</b> & "co"', lines: [{ title: '<script>alert(1)</script> Mug', quantity: 2 }] };

  it('shows markup in a value as text in the HTML part', () => {
    const { html } = renderTemplate(order, hostile, 'eve@example.com');
    expect(html).toContain('&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;co&quot;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Mug x2');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
  });

  it('keeps values verbatim in the text part and the subject, the subject on one line', () => {
    const message = renderTemplate(order, { ...hostile, number: 'A-1\nBcc: x@example.com' }, 'eve@example.com');
    expect(message.text).toBe('Hello <b>Eve</b> & "co",\n<script>alert(1)</script> Mug x2\n');
    expect(message.subject).toBe('Order A-1 Bcc: x@example.com for <b>Eve</b> & "co"');
    expect(message.to).toBe('eve@example.com');
  });

  it('keeps every value of the text part on one line, as the HTML part keeps markup as text', () => {
    const message = renderTemplate(order, { ...hostile, name: 'Eve\r\n\nP.S.\tcall\u2028us' }, 'eve@example.com');
    expect(message.text).toBe('Hello Eve P.S. call us,\n<script>alert(1)</script> Mug x2\n');
  });

  it('makes a customer-chosen text inert: one line, links defused, ordinary names unchanged', () => {
    expect(inertUserText(' Eve\n\nVisit https://evil.example/x?a=1 ')).toBe('Eve Visit https[:]//evil[.]example/x?a=1');
    expect(inertUserText('mail ops@evil.example or WWW.Evil.Example')).toBe('mail ops@evil[.]example or WWW[.]Evil[.]Example');
    for (const name of ['Ada Lovelace', 'J.R.R. Tolkien', "Zoë O'Brien-Smith", 'Dr. Sun Jr.', '李小龍']) expect(inertUserText(name)).toBe(name);
  });

  it('fails on a value the template names but the context lacks', () => {
    expect(() => renderTemplate(order, { name: 'Eve', lines: [] }, 'eve@example.com')).toThrow(/number/);
  });

  it('renders the password-reset email from its files with the link and no account name', () => {
    const link = 'https://shop.example/reset-password#token=abc-123';
    const message = new MailTemplates().render('password-reset', { link, ttlMinutes: 30, token: 'abc-123' }, 'a@example.com');
    expect(message.subject).toBe('Reset your password');
    expect(message.text).toContain(`within 30 minutes:\n${link}\n`);
    expect(message.html).toContain('href="https://shop.example/reset-password#token&#x3D;abc-123"');
    expect(message.text).not.toMatch(/Hello/);
  });
});
