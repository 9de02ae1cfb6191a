import * as pkg from '../../src/index';

describe('@resil/safe-log', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/safe-log');
  });
});
