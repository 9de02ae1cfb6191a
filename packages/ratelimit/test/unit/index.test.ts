import * as pkg from '../../src/index';

describe('@resil/ratelimit', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/ratelimit');
  });
});
