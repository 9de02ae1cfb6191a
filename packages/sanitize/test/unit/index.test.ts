import * as pkg from '../../src/index';

describe('@resil/sanitize', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/sanitize');
  });
});
