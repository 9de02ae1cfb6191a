import { type Closeable, closeAll } from '@resil/core';

/**
 * Call at module level: returns `track(f)`, and closes every wrapped function (so its breaker) a
 * test tracked after that test, also when it fails (an open subscriber connection would keep
 * Jest from exiting, and a circuit left behind would refuse other settings for its name).
 */
export function closeAfterEach(): <F extends Closeable>(f: F) => F {
  const made: Closeable[] = [];
  afterEach(() => closeAll(made.splice(0)));
  return (f) => {
    made.push(f);
    return f;
  };
}
