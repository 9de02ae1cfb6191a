import { EventEmitter as NodeEmitter } from 'node:events';

/** A node-redis cluster's shape: `sendCommand(firstKey, isReadonly, args)`, no isReady. */
export class FakeNodeCluster extends NodeEmitter {
  isOpen = true;
  masters: object[] = [{}];
  sent: unknown[][] = [];
  nodeClient() {}
  sendCommand(firstKey: unknown, isReadonly: unknown, args: unknown[]) {
    this.sent.push([firstKey, isReadonly, args]);
    return Promise.resolve('OK');
  }
  destroy() {
    this.isOpen = false;
  }
}
