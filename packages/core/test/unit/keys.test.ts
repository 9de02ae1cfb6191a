import { hashKeyPart, hashTagOf, keyBuilder } from '../../src/index';

describe('keyBuilder', () => {
  const keys = keyBuilder('resil:', 'breaker');
  it('puts namespace and id in one hash tag after the prefix', () => {
    expect(keys.key('hospital-api.create')).toBe('resil:{breaker:hospital-api.create}');
    expect(keys.key('a', 'probe', 'x')).toBe('resil:{breaker:a}:probe:x');
    expect(keys.tag('a')).toBe('{breaker:a}');
  });
  it('gives every key of one id the same hash tag, and different ids different tags', () => {
    expect(hashTagOf(keys.key('a'))).toBe(hashTagOf(keys.key('a', 'probe')));
    expect(hashTagOf(keys.key('a'))).not.toBe(hashTagOf(keys.key('b')));
  });
  it('refuses braces that would move the hash tag', () => {
    expect(() => keyBuilder('resil:{x}', 'breaker')).toThrow(TypeError);
    expect(() => keyBuilder('resil:', 'bre{aker')).toThrow(TypeError);
    expect(() => keyBuilder('resil:', '')).toThrow(TypeError);
    expect(() => keyBuilder('resil:', 'a:b')).toThrow(TypeError);
    expect(() => keys.key('a}b')).toThrow(TypeError);
  });
});

describe('hashKeyPart', () => {
  it('hashes user data to a fixed-length hex string', () => {
    const h = hashKeyPart('patient 123-45-6789');
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(h).toBe(hashKeyPart('patient 123-45-6789'));
    expect(hashKeyPart('x', 64)).toHaveLength(64);
    expect(() => hashKeyPart('x', 4)).toThrow(RangeError);
  });
});

describe('hashTagOf', () => {
  it('follows the Redis Cluster rules', () => {
    expect(hashTagOf('{user1000}.following')).toBe('user1000');
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
    expect(hashTagOf('foo{bar}{zap}')).toBe('bar');
    expect(hashTagOf('plain')).toBe('plain');
    expect(hashTagOf('open{only')).toBe('open{only');
  });
});
