import { Writable } from 'node:stream';
import winston from 'winston';
import { buildCorpus } from '../eval/corpus';
import { SafeLogger } from '../src';

let line = '';
const stream = new Writable({
  write(c, _e, cb) {
    line += String(c);
    cb();
  },
});
const log = new SafeLogger('x', { transports: [new winston.transports.Stream({ stream })] });
const c = buildCorpus();
const which = process.argv.slice(2).map(Number);
for (const i of which) {
  line = '';
  const s = c[i]!;
  log[s.level](s.message as string, s.meta);
  console.log(
    `#${i} ${s.shape}\nIN: ${typeof s.message === 'string' ? s.message : JSON.stringify(s.message instanceof Error ? { m: s.message.message, ...s.message } : s.message)} ${s.meta ? JSON.stringify(s.meta) : ''}\nOUT: ${line}`,
  );
}
