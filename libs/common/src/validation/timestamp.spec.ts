import { isTimestamp } from './timestamp';

describe('isTimestamp', () => {
  it.each([
    '2024-01-31T08:25:01Z',
    '2024-01-31T08:25:01.338664Z',
    '2024-02-29T00:00:00+02:00',
    '0075-01-31T08:25:01.338664Z',
    '2024-01-31',
  ])('accepts %s', (value) => {
    expect(isTimestamp(value)).toBe(true);
  });

  it.each(['2024-02-31T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', 'yesterday', '', 20240131])('refuses %s', (value) => {
    expect(isTimestamp(value)).toBe(false);
  });
});
