/** Which fields a MongoDB duplicate-key error (E11000) collided on, or null for any other error. */
export function duplicateKeyFields(error: unknown): string[] | null {
  const { code, keyPattern, keyValue, message } = (error ?? {}) as {
    code?: number;
    keyPattern?: object;
    keyValue?: object;
    message?: string;
  };
  if (code !== 11000) return null;
  const fromDetails = Object.keys(keyPattern ?? keyValue ?? {});
  if (fromDetails.length > 0) return fromDetails;
  // The stand-in omits keyPattern; index names look like `sku_1` or `userId_1_productId_1`.
  const indexName = /index: (\S+)/.exec(message ?? '')?.[1] ?? '';
  return indexName.split('_').filter((_, position, parts) => position % 2 === 0 && parts[position + 1] !== undefined);
}

export function isDuplicateKeyError(error: unknown, field?: string): boolean {
  const fields = duplicateKeyFields(error);
  return fields !== null && (field === undefined || fields.includes(field));
}
