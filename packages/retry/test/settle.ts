/** Runs `p` to completion under fake timers (1 s steps, 1000 at most), returning its outcome. */
export async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let out: { value?: T; error?: unknown } | undefined;
  p.then(
    (value) => {
      out = { value };
    },
    (error) => {
      out = { error };
    },
  );
  for (let i = 0; i < 1000 && !out; i++) await jest.advanceTimersByTimeAsync(1000);
  if (!out) throw new Error('did not settle');
  return out;
}
