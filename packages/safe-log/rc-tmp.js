const { checkSync } = require('recheck');
const vs = process.argv.slice(2);
for (const v of vs) {
  const t = Date.now();
  const r = checkSync(v, 'gi', { timeout: 10000 });
  console.log(r.status, r.checker, r.attack?.pattern, Date.now() - t, v);
}
