// Stand-in for @resil/safe-log under mutation testing only (jest.unit.config.cjs): loading winston
// for every mutant run costs more than the tests themselves on a shared machine. ratelimit uses
// nothing of safe-log but `new SafeLogger(name)` and its `warn` and `info(message, meta)`.
export class SafeLogger {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  warn(_message: string, _meta?: Record<string, unknown>): void {}
  info(_message: string, _meta?: Record<string, unknown>): void {}
}
