// CPU time of sanitizeRequest on the bench's POST /hospitals body (two short ASCII fields, empty
// query and params) and of sanitizeInput on its four strings, in process, no HTTP; each build
// named on the command line is measured too (alternating, best of 5 rounds of 100 000 calls).
//   npm run build -w @resil/sanitize && node packages/sanitize/bench/request-cost.cjs [other build .cjs ...]
const path = require('node:path');

const builds = [path.join(__dirname, '..', 'dist', 'index.js'), ...process.argv.slice(2)];
const subjects = builds.map((file, i) => {
  const { sanitizeRequest, sanitizeInput } = require(path.resolve(file));
  return { name: i === 0 ? 'this build' : file, mw: sanitizeRequest(), sanitizeInput };
});
const req = () => ({
  body: { name: "St. Mary's General", address: '6411 Fannin St, Houston' },
  query: {},
  params: {},
});
const strings = ['name', "St. Mary's General", 'address', '6411 Fannin St, Houston'];
const N = 100_000;
const cpu = (f) => {
  const c = process.cpuUsage();
  for (let i = 0; i < N; i++) f();
  const u = process.cpuUsage(c);
  return ((u.user + u.system) * 1000) / N;
};
const best = subjects.map(() => ({ request: Infinity, input: Infinity }));
for (let round = 0; round < 5; round++)
  subjects.forEach((s, i) => {
    best[i].request = Math.min(
      best[i].request,
      cpu(() => s.mw(req(), {}, () => undefined)),
    );
    best[i].input = Math.min(
      best[i].input,
      cpu(() => {
        for (const v of strings) s.sanitizeInput(v);
      }),
    );
  });
subjects.forEach((s, i) => {
  console.log(
    `${s.name}: sanitizeRequest ${best[i].request.toFixed(0)} ns/request, sanitizeInput ×4 ${best[i].input.toFixed(0)} ns`,
  );
});
