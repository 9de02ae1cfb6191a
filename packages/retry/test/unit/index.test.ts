import * as pkg from '../../src/index';

describe('@resil/retry', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/retry');
  });
});
