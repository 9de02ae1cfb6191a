import { isIPv4, isIPv6 } from 'node:net';

/** The 8 groups of an IPv6 address as numbers, or undefined. Handles `::` and a dotted IPv4 tail. */
function groups(ip: string): number[] | undefined {
  let addr = ip.split('%')[0] ?? ip; // zone index
  // A dotted IPv4 tail (`::ffff:1.2.3.4`): what follows the last colon, without a regex (an
  // unanchored `\d+\.\d+…$` is quadratic on long digit runs; the ReDoS gate refuses it).
  const tail = addr.slice(addr.lastIndexOf(':') + 1);
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    addr = `${addr.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const fill = addr.includes('::') ? 8 - h.length - r.length : 0;
  const all = [...h, ...Array<string>(fill).fill('0'), ...r];
  if (all.length !== 8) return undefined;
  return all.map((g) => Number.parseInt(g, 16));
}

/**
 * The client key for an IP: IPv4 as is (an IPv4-mapped IPv6 address `::ffff:a.b.c.d` becomes
 * `a.b.c.d`), IPv6 reduced to its first `ipv6Subnet` bits (one customer usually holds a whole
 * /56 or /64, and would otherwise get a fresh limit per address).
 */
export function ipKey(ip: string | undefined, ipv6Subnet: number): string {
  if (!ip) return 'unknown';
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  const g = groups(ip);
  if (!g) return 'unknown';
  let bits = ipv6Subnet;
  const out: string[] = [];
  for (const n of g) {
    const keep = Math.max(0, Math.min(16, bits));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((n & mask).toString(16));
    bits -= 16;
  }
  return `${out.join(':')}/${ipv6Subnet}`;
}
