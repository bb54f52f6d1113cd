import { randomBytes } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { searchTokensOf } from '../src/products/tokenize';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { Bucket } from './support/bucket';
import { createCategory, createProduct as createProductAs, newProduct, png, uploadImages } from './support/catalog';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ADMIN = { email: 'catalog-admin@example.test', password: 'catalog admin pw' };

describe('Catalog administration and image upload (MongoDB + MinIO)', () => {
  let t: TestApp;
  let admin: Account;
  let customer: Account;
  let bucket: Bucket;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await login(t, ADMIN.email, ADMIN.password);
    customer = await registerCustomer(t, 'shopper');
    bucket = new Bucket(t);
    await createCategory(t, admin, { name: 'Audio & Hi-Fi' });
  });
  afterAll(async () => {
    bucket?.close();
    await t?.close();
  });

  const products = () => t.connection.collection('products');
  const createProduct = (overrides: Record<string, unknown> = {}) => createProductAs(t, admin, overrides);
  const upload = (productId: string, files: { name: string; data: Buffer; type?: string }[], account = admin) =>
    uploadImages(t, account, productId, files);

  describe('categories', () => {
    it('creates categories with generated slugs and lists them publicly', async () => {
      const res = await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Kitchen' }).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), name: 'Kitchen', slug: 'kitchen' });
      const list = await request(t.http).get('/api/v1/categories').expect(200);
      expect(list.body).toEqual(expect.arrayContaining([{ id: res.body.id, name: 'Kitchen', slug: 'kitchen' }]));
    });

    it('refuses a taken slug (409), a malformed slug (400) and customers (403)', async () => {
      await createCategory(t, admin, { name: 'Pantry' });
      await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Pantry again', slug: 'pantry' }).expect(409);
      await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Bad', slug: 'Bad Slug!' }).expect(400);
      await request(t.http).post('/api/v1/admin/categories').set(...bearer(customer)).send({ name: 'Sneaky' }).expect(403);
      expect(await t.connection.collection('categories').countDocuments({ name: 'Sneaky' })).toBe(0);
    });

    it('moves products along when a category slug changes, and refuses to delete a used category', async () => {
      const category = await createCategory(t, admin, { name: 'Garden' });
      const product = await createProduct({ title: 'Hose Reel', category: 'garden' });
      await request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).expect(409);

      await request(t.http).patch(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).send({ slug: 'outdoor-living' }).expect(200);
      const moved = await request(t.http).get(`/api/v1/products/${product.id}`).expect(200);
      expect(moved.body.category).toBe('outdoor-living');
      const stored = await products().findOne({ slug: product.slug });
      expect(stored?.searchTokens).toEqual(expect.arrayContaining(['outdoor', 'living']));
      expect(stored?.searchTokens).not.toContain('garden');

      await request(t.http).delete(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(204);
      await request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).expect(204);
    });
  });

  it('runs the whole admin lifecycle: create, upload, fetch, edit, remove an image, archive, purge', async () => {
    const product = await createProduct();
    expect(product).toMatchObject({
      title: 'Wireless Headphones',
      slug: expect.stringMatching(/^wireless-headphones/),
      price: 12999,
      currency: 'usd',
      stock: 20,
      status: 'active',
      images: [],
      ratingAverage: 0,
      ratingCount: 0,
    });
    expect(product._id).toBeUndefined();

    const uploaded = await upload(product.id, [
      { name: 'front.png', data: png(1) },
      { name: 'side.png', data: png(2) },
    ]).expect(201);
    expect(uploaded.body.images).toHaveLength(2);
    const keys = await bucket.keys(`products/${product.id}/`);
    expect(keys).toHaveLength(2);

    for (const image of uploaded.body.images) {
      const fetched = await fetch(image.url);
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await fetched.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    }

    const edited = await request(t.http)
      .patch(`/api/v1/admin/products/${product.id}`)
      .set(...bearer(admin))
      .send({ title: 'Studio Headphones Pro', price: 14999 })
      .expect(200);
    expect(edited.body).toMatchObject({ title: 'Studio Headphones Pro', price: 14999, slug: product.slug, stock: 20 });
    const stored = await products().findOne({ slug: product.slug });
    expect(stored?.searchTokens).toEqual(expect.arrayContaining(['studio', 'headphones', 'pro', 'sonique', 'audio', 'bluetooth']));
    expect(stored?.searchTokens).not.toContain('wireless');

    const [gone, kept] = uploaded.body.images;
    await request(t.http).delete(`/api/v1/admin/products/${product.id}/images/${gone.id}`).set(...bearer(admin)).expect(204);
    expect((await fetch(gone.url)).status).toBe(404);
    expect((await fetch(kept.url)).status).toBe(200);
    expect(await bucket.keys(`products/${product.id}/`)).toHaveLength(1);
    const afterRemoval = await request(t.http).get(`/api/v1/products/${product.slug}`).expect(200);
    expect(afterRemoval.body.images.map((image: { id: string }) => image.id)).toEqual([kept.id]);

    await request(t.http).delete(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(204);
    await request(t.http).get(`/api/v1/products/${product.id}`).expect(404);
    await request(t.http).get(`/api/v1/products/${product.slug}`).expect(404);
    const archived = await request(t.http).get(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(200);
    expect(archived.body.status).toBe('archived');
    await upload(product.id, [{ name: 'late.png', data: png(3) }]).expect(409);

    await request(t.http).delete(`/api/v1/admin/products/${product.id}/images`).set(...bearer(admin)).expect(204);
    expect(await bucket.keys(`products/${product.id}/`)).toEqual([]);
    expect((await fetch(kept.url)).status).toBe(404);
  });

  describe('rejected uploads store nothing', () => {
    let productId: string;
    beforeAll(async () => {
      productId = (await createProduct({ title: 'Upload Target' })).id;
    });

    const expectNothingStored = async () => {
      expect(await bucket.keys(`products/${productId}/`)).toEqual([]);
      expect((await products().findOne({ slug: /^upload-target/ }))?.images).toEqual([]);
    };

    it('a text file renamed .jpg (400)', async () => {
      const res = await upload(productId, [{ name: 'photo.jpg', data: Buffer.from('not an image at all, just text'), type: 'image/jpeg' }]).expect(400);
      expect(res.body.message).toMatch(/JPEG, PNG or WebP/);
      await expectNothingStored();
    });

    it('a 6 MB image (413)', async () => {
      const big = Buffer.concat([png(4), randomBytes(6 * 1024 * 1024)]);
      const res = await upload(productId, [{ name: 'huge.png', data: big }]).expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      await expectNothingStored();
    });

    it('11 files (400)', async () => {
      const files = Array.from({ length: 11 }, (_, i) => ({ name: `p${i}.png`, data: png(i) }));
      await upload(productId, files).expect(400);
      await expectNothingStored();
    });

    it('a good image followed by a bad one: the good one is removed too (400)', async () => {
      await upload(productId, [
        { name: 'good.png', data: png(5) },
        { name: 'bad.png', data: Buffer.from('%PDF-1.7 pretending to be a png') },
      ]).expect(400);
      await expectNothingStored();
    });

    it('no file at all (400) and a file in another field (400)', async () => {
      await request(t.http).post(`/api/v1/admin/products/${productId}/images`).set(...bearer(admin)).field('note', 'x').expect(400);
      await request(t.http)
        .post(`/api/v1/admin/products/${productId}/images`)
        .set(...bearer(admin))
        .attach('photo', png(6), 'x.png')
        .expect(400);
      await expectNothingStored();
    });

    it('a client that disconnects in the middle of a file', async () => {
      const server: http.Server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      // The server's side of this one request, to see what it received and how it ended.
      const requestId = `cut-upload-${randomBytes(4).toString('hex')}`;
      const serverSide = new Promise<{ req: http.IncomingMessage; res: http.ServerResponse }>((resolve) => {
        const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
          if (req.headers['x-request-id'] !== requestId) return;
          server.off('request', onRequest);
          resolve({ req, res });
        };
        server.on('request', onRequest);
      });
      const boundary = 'x-upload-boundary';
      const client = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/admin/products/${productId}/images`,
        headers: {
          authorization: `Bearer ${admin.accessToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(4 * 1024 * 1024),
          'x-request-id': requestId,
        },
      });
      client.on('error', () => undefined);
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="cut.png"\r\nContent-Type: image/png\r\n\r\n`;
      const sent = [Buffer.from(head), png(9), randomBytes(1024 * 1024)];
      for (const chunk of sent) client.write(chunk);
      const { req, res } = await serverSide;
      const sentBytes = sent.reduce((total, chunk) => total + chunk.length, 0);
      await waitFor(async () => req.socket.bytesRead >= sentBytes, 'the server to receive the first part of the file');
      client.destroy();

      // The app is done with the request once it has ended its response (on the dead socket):
      // by then multer has deleted whatever this request stored.
      await waitFor(async () => res.writableEnded, 'the app to finish the cut request');
      expect(res.statusCode).toBe(400);
      await expectNothingStored();
      await request(t.http).get(`/api/v1/admin/products/${productId}`).set(...bearer(admin)).expect(200);
    });

    it("a customer's token (403)", async () => {
      await upload(productId, [{ name: 'x.png', data: png(7) }], customer).expect(403);
      await expectNothingStored();
    });

    it('an unknown product (404) and a malformed id (400)', async () => {
      await upload('0123456789abcdef01234567', [{ name: 'x.png', data: png(8) }]).expect(404);
      await upload('not-an-id', [{ name: 'x.png', data: png(8) }]).expect(400);
      expect(await bucket.keys('products/0123456789abcdef01234567/')).toEqual([]);
    });

    it('accepts WebP and JPEG by their bytes whatever the file name', async () => {
      const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 '), randomBytes(64)]);
      const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64)]);
      const res = await upload(productId, [
        { name: 'picture.bin', data: webp, type: 'application/octet-stream' },
        { name: 'picture.png', data: jpeg, type: 'image/png' },
      ]).expect(201);
      const types = await Promise.all(res.body.images.map(async (image: { url: string }) => (await fetch(image.url)).headers.get('content-type')));
      expect(types).toEqual(['image/webp', 'image/jpeg']);
      // Purging is for archived products only; single images can always go.
      await request(t.http).delete(`/api/v1/admin/products/${productId}/images`).set(...bearer(admin)).expect(409);
      for (const image of res.body.images) {
        await request(t.http).delete(`/api/v1/admin/products/${productId}/images/${image.id}`).set(...bearer(admin)).expect(204);
      }
    });
  });

  describe('product validation', () => {
    it.each([
      ['an unknown category', { category: 'no-such-category' }],
      ['a negative price', { price: -1 }],
      ['a fractional price', { price: 19.99 }],
      ['a price given as a string', { price: '1999' }],
      ['a negative stock', { stock: -5 }],
      ['an empty title', { title: '   ' }],
      ['an oversized title', { title: 'x'.repeat(201) }],
      ['an unknown status', { status: 'deleted' }],
      ['an unknown field', { barcode: 'X-1' }],
      ['too many tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
    ])('rejects %s with 400 and creates nothing', async (_label, override) => {
      const title = `Validation ${randomBytes(4).toString('hex')}`;
      const res = await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(newProduct({ title, ...override }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(await products().countDocuments({ title })).toBe(0);
    });

    it('takes the on-hand count as stock or stockOnHand, and refuses the two names when they disagree', async () => {
      const adminView = async (id: string) => (await request(t.http).get(`/api/v1/admin/products/${id}`).set(...bearer(admin)).expect(200)).body;
      const create = (body: Record<string, unknown>) => request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(body);

      const byBoth = (await create(newProduct({ title: 'On Hand Both Names', stock: 4, stockOnHand: 4 })).expect(201)).body;
      expect(await adminView(byBoth.id)).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });
      const { stock: _stock, ...withoutStock } = newProduct();
      for (const [title, body] of [
        ['On Hand Disagreeing', { ...newProduct(), stock: 5, stockOnHand: 4 }],
        ['On Hand Without Stock', { ...withoutStock, stockOnHand: 4 }], // on create `stock` stays required, as documented
        ['On Hand Null', { ...newProduct(), stockOnHand: null }],
      ] as const) {
        const res = await create({ ...body, title }).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        expect(await products().countDocuments({ title })).toBe(0);
      }

      const patch = (body: Record<string, unknown>) => request(t.http).patch(`/api/v1/admin/products/${byBoth.id}`).set(...bearer(admin)).send(body);
      expect((await patch({ stockOnHand: 9 }).expect(200)).body).toMatchObject({ stock: 9 });
      expect(await adminView(byBoth.id)).toMatchObject({ stock: 9, stockOnHand: 9 });
      expect((await patch({ stock: 8 }).expect(200)).body).toMatchObject({ stock: 8 });
      await patch({ stockOnHand: 2, stock: 3 }).expect(400);
      await patch({ stockOnHand: null }).expect(400);
      expect(await adminView(byBoth.id)).toMatchObject({ stock: 8, stockOnHand: 8 });
      expect((await patch({ stockOnHand: 6, stock: 6 }).expect(200)).body).toMatchObject({ stock: 6 });
      expect(await adminView(byBoth.id)).toMatchObject({ stock: 6, stockOnHand: 6 });
    });

    it('rejects a bad PATCH and leaves the product as it was', async () => {
      const product = await createProduct({ title: 'Patch Target' });
      await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ price: -10 }).expect(400);
      await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ category: 'nope' }).expect(400);
      await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(customer)).send({ price: 1 }).expect(403);
      const res = await request(t.http).get(`/api/v1/products/${product.id}`).expect(200);
      expect(res.body).toMatchObject({ price: 12999, category: 'audio-hi-fi' });
    });

    it('forbids every admin catalog route to customers', async () => {
      const product = await createProduct({ title: 'Guarded' });
      const routes = [
        request(t.http).post('/api/v1/admin/products').send(newProduct()),
        request(t.http).get('/api/v1/admin/products'),
        request(t.http).get(`/api/v1/admin/products/${product.id}`),
        request(t.http).delete(`/api/v1/admin/products/${product.id}`),
        request(t.http).delete(`/api/v1/admin/products/${product.id}/images`),
      ];
      for (const route of routes) await route.set(...bearer(customer)).expect(403);
      await request(t.http).get(`/api/v1/products/${product.id}`).expect(200);
    });
  });

  describe('search tokens under concurrent edits', () => {
    const expectTokensMatch = async (slug: string) => {
      const stored = await products().findOne({ slug });
      expect(stored).not.toBeNull();
      expect([...stored!.searchTokens].sort()).toEqual(searchTokensOf(stored!.title, stored!.brand, stored!.category, stored!.tags).sort());
      return stored!;
    };

    it('keeps tokens equal to the stored fields when titles and tags are edited at once', async () => {
      const product = await createProduct({ title: 'Race Base' });
      const edits = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(t.http)
            .patch(`/api/v1/admin/products/${product.id}`)
            .set(...bearer(admin))
            .send(i % 2 ? { title: `Title Variant ${i}` } : { tags: [`tag${i}`, 'shared'] }),
        ),
      );
      for (const res of edits) expect([200, 409]).toContain(res.status);
      expect(edits.filter((res) => res.status === 200).length).toBeGreaterThan(0);
      await expectTokensMatch(product.slug);
    });

    it('keeps tokens right when a category is renamed while its products are edited', async () => {
      const category = await createCategory(t, admin, { name: 'Moving Things' });
      const made = await Promise.all(Array.from({ length: 5 }, (_, i) => createProduct({ title: `Mover ${i}`, category: 'moving-things' })));
      const rename = () => request(t.http).patch(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).send({ slug: 'moved-things' });
      const [renamed, ...edits] = await Promise.all([
        rename(),
        ...made.map((product, i) =>
          request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ title: `Renamed Mover ${i}` }),
        ),
      ]);
      for (const res of [renamed, ...edits]) expect([200, 409]).toContain(res.status);
      if (renamed.status === 409) {
        // Refused while its products kept changing: the category keeps its old slug, and asking
        // again finishes the move.
        const categories = (await request(t.http).get('/api/v1/categories').expect(200)).body as { id: string; slug: string }[];
        expect(categories.find(({ id }) => id === category.id)?.slug).toBe('moving-things');
        await rename().expect(200);
      }
      // Either way every product ends in the renamed category, with its own edit applied or not.
      for (const [i, product] of made.entries()) {
        const stored = await expectTokensMatch(product.slug);
        expect(stored.category).toBe('moved-things');
        expect(stored.title).toBe(edits[i].status === 200 ? `Renamed Mover ${i}` : `Mover ${i}`);
      }
    });
  });

  it('never leaves live products without their category when one is deleted while products are added', async () => {
    for (let round = 0; round < 3; round += 1) {
      const slug = `fleeting-${round}`;
      const category = await createCategory(t, admin, { name: `Fleeting ${round}`, slug });
      const results = await Promise.all([
        request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)),
        ...Array.from({ length: 4 }, (_, i) =>
          request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(newProduct({ title: `Fleeting ${round}-${i}`, category: slug })),
        ),
      ]);
      for (const res of results) expect([201, 204, 400, 409]).toContain(res.status);
      const live = await products().countDocuments({ category: slug, status: { $ne: 'archived' } });
      const exists = await t.connection.collection('categories').countDocuments({ slug });
      expect({ round, orphaned: live > 0 && exists === 0 }).toEqual({ round, orphaned: false });
    }
  });

  describe('slugs and visibility', () => {
    it('makes ASCII slugs that never look like ids, and asks for a category slug when the name gives none', async () => {
      const accented = await createProduct({ title: 'Straßen Café Crème' });
      expect(accented.slug).toMatch(/^strassen-cafe-creme/);
      const cyrillic = await createProduct({ title: 'Обувь' });
      expect(cyrillic.slug).toMatch(/^product/);
      const hexTitle = await createProduct({ title: accented.id });
      expect(hexTitle.slug).not.toBe(accented.id);
      const byId = await request(t.http).get(`/api/v1/products/${accented.id}`).expect(200);
      expect(byId.body.id).toBe(accented.id);

      const res = await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Обувь' }).expect(400);
      expect(res.body.message).toMatch(/send a slug/);
      await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Обувь', slug: 'shoes' }).expect(201);
      await createProduct({ title: 'Boots', category: 'shoes' });
    });

    it('gives products with the same title different slugs, even when created at once', async () => {
      const title = `Same Title ${randomBytes(3).toString('hex')}`;
      const first = await createProduct({ title });
      const second = await createProduct({ title });
      expect(second.slug).not.toBe(first.slug);
      const burst = await Promise.all(
        Array.from({ length: 6 }, () => request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(newProduct({ title }))),
      );
      expect(burst.map((res) => res.status)).toEqual(Array(6).fill(201));
      const slugs = new Set([first.slug, second.slug, ...burst.map((res) => res.body.slug)]);
      expect(slugs.size).toBe(8);
    });

    it('shows only active products publicly, by id or slug', async () => {
      const draft = await createProduct({ title: 'Secret Draft', status: 'draft' });
      await request(t.http).get(`/api/v1/products/${draft.id}`).expect(404);
      await request(t.http).get(`/api/v1/products/${draft.slug}`).expect(404);
      await request(t.http).patch(`/api/v1/admin/products/${draft.id}`).set(...bearer(admin)).send({ status: 'active' }).expect(200);
      const res = await request(t.http).get(`/api/v1/products/${draft.slug}`).expect(200);
      expect(res.body.id).toBe(draft.id);
      await request(t.http).get('/api/v1/products/no-such-product').expect(404);
    });

    it('lists products for admins with any status, filtered and paginated', async () => {
      const archived = await createProduct({ title: 'Retired Model' });
      await request(t.http).delete(`/api/v1/admin/products/${archived.id}`).set(...bearer(admin)).expect(204);
      const res = await request(t.http).get('/api/v1/admin/products?status=archived&limit=100').set(...bearer(admin)).expect(200);
      expect(res.body.items.map((product: { id: string }) => product.id)).toContain(archived.id);
      expect(res.body.items.every((product: { status: string }) => product.status === 'archived')).toBe(true);
      await request(t.http).get('/api/v1/admin/products?status=gone').set(...bearer(admin)).expect(400);
    });
  });
});
