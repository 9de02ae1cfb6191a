/** The integer-option check of a factory: a RangeError naming the factory and the option. */
export function integerOptions(factory: string) {
  return (name: string, v: unknown, min: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new RangeError(`${factory}: ${name} must be an integer >= ${min}`);
    return v;
  };
}
