import { matchKey } from '../../src/auth';
import { digestKey } from '../../src/config';

describe('matchKey', () => {
  const entries = [
    { owner: 'alice', digest: digestKey('alice-key-0123456789abcdef') },
    { owner: 'bob', digest: digestKey('bob-key-0123456789abcdef') },
  ];
  it('finds the owner of a configured key', () => {
    expect(matchKey('bob-key-0123456789abcdef', entries)).toBe('bob');
  });
  it('finds nobody for a prefix, a longer key or another key', () => {
    expect(matchKey('bob-key-0123456789abcde', entries)).toBeUndefined();
    expect(matchKey('bob-key-0123456789abcdef0', entries)).toBeUndefined();
    expect(matchKey('', entries)).toBeUndefined();
  });
});
