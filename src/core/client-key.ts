import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit a client is rate-limited as: the IPv4 address, or the /64 prefix of an IPv6 address
 * (one subscriber usually holds a whole /64, so per-address limits would not bind at all).
 */
export function clientKeyOf(ip: string): string {
  return prefixKeyOf(ip, 4);
}

/**
 * The wider network a client sits in, for a second, looser limit: the /48 of an IPv6 address
 * (what one site or one rented server is commonly given, so 65,536 /64s of one attacker count as
 * one), and the address itself for IPv4, where addresses are already scarce and a /24 is shared
 * by unrelated customers of one provider.
 */
export function networkKeyOf(ip: string): string {
  return prefixKeyOf(ip, 3);
}

function prefixKeyOf(ip: string, groups: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip || 'unknown';
  return `${expandIPv6(ip).slice(0, groups).join(':')}::/${groups * 16}`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  return groups.map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}
