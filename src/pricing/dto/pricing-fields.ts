import { Transform } from 'class-transformer';

/** ISO-2 country codes and regions are compared upper case, as addresses store them. */
export const UpperCase = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'string') return value.trim().toUpperCase();
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item.trim().toUpperCase() : item));
    return value;
  });
