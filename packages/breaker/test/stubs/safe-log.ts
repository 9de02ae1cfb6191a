// Stand-in for @resil/safe-log under mutation testing only (jest.mutation.config.cjs): loading
// winston in every mutant run costs more than the tests themselves on a shared machine. The
// breaker uses nothing of safe-log but `new SafeLogger(name)` with warn() and info().
export class SafeLogger {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  warn(_message: string, _meta?: Record<string, unknown>): void {}
  info(_message: string, _meta?: Record<string, unknown>): void {}
}
