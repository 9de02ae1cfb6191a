import { EventEmitter as NodeEmitter } from 'node:events';

/**
 * A node-redis single client's shape (`sendCommand(args)`, `isOpen`, `isReady`, `socketEpoch`,
 * `close()`, `destroy()`), its connection state set by the test. It records the commands sent
 * (`sent`) and the close/destroy calls in order (`calls`); `reply` answers each command.
 */
export class FakeNodeSingle extends NodeEmitter {
  isOpen = true;
  isReady = true;
  socketEpoch = 1;
  sent: unknown[][] = [];
  calls: string[] = [];
  reply: (args: unknown[]) => Promise<unknown> = async () => 'OK';
  sendCommand(args: unknown[]) {
    this.sent.push(args);
    return this.reply(args);
  }
  async close() {
    this.calls.push('close');
    this.isOpen = false;
    this.isReady = false;
  }
  destroy() {
    this.calls.push('destroy');
    this.isOpen = false;
    this.isReady = false;
  }
  get closes(): number {
    return this.calls.filter((c) => c === 'close').length;
  }
  get destroys(): number {
    return this.calls.filter((c) => c === 'destroy').length;
  }
}
