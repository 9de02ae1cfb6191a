import { Writable } from 'node:stream';
import winston from 'winston';

/** A winston transport that keeps every line written (parsed and raw), synchronously. */
export function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line.trim()) continue;
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      cb();
    },
  });
  return { lines, raw, transport: new winston.transports.Stream({ stream }) };
}
