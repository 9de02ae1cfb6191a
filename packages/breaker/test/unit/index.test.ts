import * as pkg from '../../src/index';

describe('@resil/breaker', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/breaker');
  });
});
