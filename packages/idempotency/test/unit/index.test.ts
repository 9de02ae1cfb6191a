import * as pkg from '../../src/index';

describe('@resil/idempotency', () => {
  it('loads from its entry point', () => {
    expect(pkg.packageName).toBe('@resil/idempotency');
  });
});
