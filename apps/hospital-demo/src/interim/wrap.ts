// TODO(interim): delete when @resil/retry and @resil/breaker land.
// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
export type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/** A function usable both as a higher-order function and as a TC39 method decorator. */
export type WrapperDecorator<Extra> = <F extends AnyAsyncFn>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F & Extra;

export function makeWrapper<Extra extends object>(
  wrap: (fn: AnyAsyncFn) => AnyAsyncFn,
  extra: Extra,
): WrapperDecorator<Extra> {
  return <F extends AnyAsyncFn>(fn: F) => Object.assign(wrap(fn), extra) as F & Extra;
}
