import { ipKey } from '../../src';

describe('ipKey', () => {
  it('keeps IPv4 and unwraps IPv4-mapped IPv6', () => {
    expect(ipKey('203.0.113.7', 56)).toBe('203.0.113.7');
    expect(ipKey('::ffff:203.0.113.7', 56)).toBe('203.0.113.7');
    expect(ipKey('::FFFF:203.0.113.7', 56)).toBe('203.0.113.7');
  });
  it('groups IPv6 by prefix, whatever the notation', () => {
    const a = ipKey('2001:db8:abcd:1200::1', 56);
    expect(a).toBe('2001:db8:abcd:1200:0:0:0:0/56');
    expect(ipKey('2001:db8:abcd:12ff:ffff:1:2:3', 56)).toBe(a);
    expect(ipKey('2001:0db8:abcd:1200:0000:0000:0000:0009', 56)).toBe(a);
    expect(ipKey('2001:db8:abcd:1300::1', 56)).not.toBe(a);
    expect(ipKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
    expect(ipKey('fe80::1%eth0', 64)).toBe('fe80:0:0:0:0:0:0:0/64');
  });
  it('anything else is one key, never the raw input', () => {
    expect(ipKey(undefined, 56)).toBe('unknown');
    expect(ipKey('not an ip', 56)).toBe('unknown');
  });
});
