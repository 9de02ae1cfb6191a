// The healthy path's cost with and without telemetry: a closed circuit's successful call, in
// memory, against a direct call of the same function. From the repository root:
//   node --conditions=@resil/source --import tsx packages/breaker/bench/healthy-path.ts
// Prints the median ns per call of 5 rounds of 1,000,000 calls each (after a warm-up round).
import { circuitBreaker } from '../src';

const N = 1_000_000;
const fn = async () => 1;
const cases: Record<string, () => Promise<number>> = {
  direct: fn,
  'telemetry on (API, no SDK)': circuitBreaker({ name: 'bench.on', logger: false })(fn),
  'telemetry: false': circuitBreaker({ name: 'bench.off', logger: false, telemetry: false })(fn),
};

async function round(call: () => Promise<number>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await call();
  return Number(process.hrtime.bigint() - start) / N;
}

void (async () => {
  const times = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const call of Object.values(cases)) await round(call);
  for (let r = 0; r < 5; r++)
    for (const [label, call] of Object.entries(cases)) times.get(label)?.push(await round(call));
  for (const [label, t] of times) {
    t.sort((a, b) => a - b);
    console.log(`${label}: ${Math.round(t[2] ?? 0)} ns/call`);
  }
  process.exit(0);
})();
