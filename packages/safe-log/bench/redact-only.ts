/**
 * CPU time of the redaction alone (redactor.value) on the bench record, same and fresh strings:
 *   npx tsx --conditions=@resil/source bench/redact-only.ts [--ms=2000]
 */
import { createRedactor } from '../src';
import { fresh, sampleRecord } from './records';

const MS = Number(process.argv.find((a) => a.startsWith('--ms='))?.split('=')[1] ?? 2000);
const r = createRedactor();
const records = Array.from({ length: 20 }, (_, i) => sampleRecord(i));
let seq = 0;
let sink = 0;
for (const kind of ['same', 'fresh', 'same', 'fresh']) {
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < MS) {
    for (const rec of records) {
      const v = r.value(kind === 'same' ? rec : fresh(seq++, rec)) as object;
      sink += Object.keys(v).length;
    }
    n += records.length;
  }
  const c = process.cpuUsage(c0);
  console.log(`${kind}: ${((c.user + c.system) / n).toFixed(2)} cpu us/record (${n} records)`);
}
if (sink < 0) console.log(sink);
