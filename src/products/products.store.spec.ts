import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** ARCHITECTURE.md: products are written only through the store, which owns the model. */
describe('the products collection has one owner', () => {
  const srcRoot = join(__dirname, '..');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );

  it('registers and injects the Product model only in the store module', () => {
    const users = files(srcRoot)
      .filter((file) => /InjectModel\(Product\.name\)|name: Product\.name|collection\(['"]products['"]\)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(srcRoot, file))
      .sort();
    expect(users).toEqual(['products/product-store.module.ts', 'products/products.store.ts']);
  });
});
