import { parseRefreshToken, sha256 } from './sessions.service';

describe('parseRefreshToken', () => {
  const sessionId = '3f2b8c1e-9d4a-4e5f-8a7b-1c2d3e4f5a6b';
  const secret = 'A'.repeat(43);

  it('splits a well-formed token into session id and secret', () => {
    expect(parseRefreshToken(`${sessionId}.${secret}`)).toEqual({ sessionId, secret });
  });

  it.each([
    [''],
    ['no-dot'],
    [`${sessionId}.`],
    [`.${secret}`],
    [`${sessionId}.${secret}.extra`],
    [`not-a-uuid.${secret}`],
    [`${sessionId}.short`],
    [`${sessionId}.${'A'.repeat(42)}!`],
  ])('rejects %j', (token) => {
    expect(parseRefreshToken(token)).toBeNull();
  });
});

describe('sha256', () => {
  it('is the hex digest, so stored refresh hashes never equal the token', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
