import { clientKeyOf, networkKeyOf } from './client-key';

describe('clientKeyOf', () => {
  it('keeps IPv4 addresses, also when mapped into IPv6', () => {
    expect(clientKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('groups IPv6 addresses by their /64 prefix', () => {
    const a = clientKeyOf('2001:db8:abcd:12:1111:2222:3333:4444');
    const b = clientKeyOf('2001:0db8:abcd:0012::9');
    expect(a).toBe('2001:db8:abcd:12::/64');
    expect(b).toBe(a);
    expect(clientKeyOf('2001:db8:abcd:13::1')).not.toBe(a);
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
  });
});

describe('networkKeyOf', () => {
  it('groups IPv6 addresses by their /48 prefix and keeps IPv4 addresses', () => {
    expect(networkKeyOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkKeyOf('2001:db8:abcd:ffff::2')).toBe('2001:db8:abcd::/48');
    expect(networkKeyOf('2001:db8:abce::1')).not.toBe('2001:db8:abcd::/48');
    expect(networkKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});
