import { randomUUID } from 'node:crypto';
import {
  bold,
  c,
  check,
  connect,
  dim,
  type StatusJson,
  say,
  sleep,
  tally,
  watch,
} from './tour-kit';
import { thresholdStep } from './tour-thresholds';
import { traceStep } from './tour-trace';

/**
 * `npm run demo:tour`: a narrated walk-through against a running demo (`npm start`), with real
 * requests. Each step says what should happen, does it, and prints what was seen.
 * Exit code 0 when every expectation held, 1 otherwise.
 *
 * Settings: SERVICE_URL (default http://127.0.0.1:3000), OPS_URL (default: SERVICE_URL),
 * DEMO_API_KEY, DEMO_ADMIN_KEY, REGISTRY_CONTROL_URL; by default the keys and the registry's control URL come from the file the
 * running demo wrote for this port.
 */

async function main(): Promise<void> {
  const { serviceUrl, opsUrl, adminKey, control, status, counters, faults, create, trace } =
    await connect();
  const createBreaker = (s: StatusJson) => s.breakers.find((b) => b.name.endsWith('.create'));

  // ---- 0. a clean start ---------------------------------------------------------------------
  await fetch(`${control}/reset?counters=true`, { method: 'POST' });
  let s = await status();
  for (const b of s.breakers) {
    if (b.state !== 'closed' && adminKey) {
      await fetch(`${serviceUrl}/admin/breakers/${encodeURIComponent(b.name)}/close`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}` },
      });
    }
  }
  s = await status();
  const { retryMaxAttempts, breakerFailureThreshold, breakerResetTimeoutMs } = s.policy;
  say(
    dim(
      `policy: ${retryMaxAttempts} attempts per call, breaker opens after ${breakerFailureThreshold} failed calls and probes after ${breakerResetTimeoutMs} ms, outbound ${s.outbound.limit} calls per ${s.outbound.windowMs} ms`,
    ),
  );
  say(
    dim(
      `watch it live: ${opsUrl}/status   (and the service's log in the other terminal): the Fleet table lists every worker (with Redis), the charts show the last 10 minutes per second and refresh every 3 s`,
    ),
  );

  // ---- 1. create ----------------------------------------------------------------------------
  say(`\n${bold('1. Create a hospital')} (POST /hospitals with an Idempotency-Key)`);
  say(
    '   expected: 201 { id, name, status: "active" }; the registry created it once and activated it once',
  );
  watch('"Idempotency" charts one executed; "Outbound limiter" two grants (create, activate)');
  const key = randomUUID();
  const first = await create(key);
  let n = await counters();
  check(
    '201 and active',
    first.status === 201 && first.body.status === 'active',
    `${first.status} ${JSON.stringify(first.body)} in ${first.ms} ms`,
  );
  check(
    'one create and one activate at the registry',
    n.executed.create === 1 && n.executed.activate === 1,
    `registry executed create=${n.executed.create} activate=${n.executed.activate}`,
  );

  // ---- 2. replay ----------------------------------------------------------------------------
  say(`\n${bold('2. Send the very same request again')} (a client retrying after a lost answer)`);
  say(
    '   expected: the same 201 replayed (Idempotent-Replayed: true); still one create at the registry',
  );
  watch('"Idempotency" charts one replayed, and no new outbound grant: the registry is not called');
  const again = await create(key);
  n = await counters();
  check(
    'same answer, marked replayed',
    again.status === 201 &&
      again.body.id === first.body.id &&
      again.headers.get('idempotent-replayed') === 'true',
    `${again.status} id=${String(again.body.id)} Idempotent-Replayed=${again.headers.get('idempotent-replayed')}`,
  );
  check(
    'no second hospital',
    n.executed.create === 1,
    `registry executed create=${n.executed.create}`,
  );

  // ---- 3. one request's trace ---------------------------------------------------------------
  await traceStep({ step: 3, opsUrl, faults, create, trace });

  // ---- 4. failing registry ------------------------------------------------------------------
  say(`\n${bold('4. The registry starts failing')} (every call answers 503)`);
  say(
    `   expected: each call is retried (${retryMaxAttempts} attempts, backoff), fails with 502; after ${breakerFailureThreshold} failed calls the create breaker opens and the next call fails fast with 503 + Retry-After, without reaching the registry`,
  );
  watch(
    'the hospital-api.create band turns red (open); its failures/s spike with calls/s, "Retries" shows http_503; while open, calls/s stays at 0 (rejected calls never reach the registry)',
  );
  await faults({ errorRate: 1, errorStatus: 503 });
  const before = await counters();
  const failed = await Promise.all(
    Array.from({ length: breakerFailureThreshold }, () => create(randomUUID())),
  );
  n = await counters();
  s = await status();
  const attempts = n.received.create - before.received.create;
  check(
    `${breakerFailureThreshold} calls answered 502 after retrying`,
    failed.every((r) => r.status === 502),
    `${failed.map((r) => `${r.status} in ${r.ms} ms`).join(', ')}; the registry received ${attempts} create attempts for ${breakerFailureThreshold} calls, so ${attempts - breakerFailureThreshold} were retries (log: "retrying hospital registry call")`,
  );
  check(
    'the create breaker is open',
    createBreaker(s)?.state === 'open',
    `hospital-api.create is ${createBreaker(s)?.state}, next probe in ${((createBreaker(s)?.nextProbeInMs ?? 0) / 1000).toFixed(1)} s`,
  );
  const fast = await create(randomUUID());
  const after = await counters();
  check(
    'the next call fails fast with 503 and Retry-After, the registry is spared',
    fast.status === 503 &&
      fast.headers.get('retry-after') !== null &&
      after.received.create === n.received.create,
    `${fast.status} "${String(fast.body.title)}" Retry-After=${fast.headers.get('retry-after')} in ${fast.ms} ms; registry create attempts unchanged at ${after.received.create - before.received.create}`,
  );

  // ---- 5. recovery --------------------------------------------------------------------------
  say(`\n${bold('5. The registry recovers')}`);
  say(
    '   expected: after the reset timeout one probe call goes through, succeeds, and the breaker closes',
  );
  watch(
    'the red band lasts the reset timeout, then the probe call: amber (half-open) for an instant, then green (closed)',
  );
  await faults({ errorRate: 0, failNext: 0 });
  const wait = createBreaker(await status())?.nextProbeInMs ?? 0;
  say(dim(`   waiting ${(wait / 1000).toFixed(1)} s for the breaker's reset timeout…`));
  await sleep(wait + 50);
  for (let i = 0; i < 100 && (createBreaker(await status())?.nextProbeInMs ?? 0) > 0; i++)
    await sleep(100);
  const beforeProbe = await counters();
  const probe = await create(randomUUID());
  n = await counters();
  s = await status();
  check(
    'the probe succeeds',
    probe.status === 201,
    `${probe.status} ${JSON.stringify(probe.body)}; the registry received ${n.received.create - beforeProbe.received.create} create call`,
  );
  check(
    'the breaker is closed again',
    createBreaker(s)?.state === 'closed',
    `hospital-api.create is ${createBreaker(s)?.state}`,
  );

  // ---- 6. burst -----------------------------------------------------------------------------
  const burst = s.outbound.limit * 2;
  say(
    `\n${bold(`6. A burst of ${burst} creations at once`)} (${burst * 2} registry calls: create + activate)`,
  );
  say(
    `   expected: the outbound limiter spaces the calls to ${s.outbound.limit} per ${s.outbound.windowMs} ms, so all succeed and the registry (which allows 10/s) does not have to refuse any`,
  );
  watch(
    '"Outbound limiter" grants/s climbs to the dashed limit line and stays under it for a few seconds; "Inbound 429s" stays at 0',
  );
  const beforeBurst = await counters();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: burst }, (_, i) => create(randomUUID(), `Burst ${i}`)),
  );
  const took = ((performance.now() - started) / 1000).toFixed(1);
  n = await counters();
  const ok = results.filter((r) => r.status === 201).length;
  check(`all ${burst} answered 201`, ok === burst, `${ok} of ${burst} answered 201, in ${took} s`);
  check(
    'the registry refused nothing',
    n.rateLimited === beforeBurst.rateLimited,
    `registry 429s during the burst: ${n.rateLimited - beforeBurst.rateLimited}; calls spread over ${took} s`,
  );

  // ---- 7. thresholds -------------------------------------------------------------------------
  await thresholdStep({
    step: 7,
    serviceUrl,
    adminKey,
    name: createBreaker(s)?.name ?? 'hospital-api.create',
    breakerFailureThreshold,
    status,
  });

  say(
    `\n${tally.failures === 0 ? c(32, bold('Every step behaved as expected.')) : c(31, bold(`${tally.failures} expectation(s) not met.`))}`,
  );
  say(dim(`metrics: ${opsUrl}/metrics   status: ${opsUrl}/status`));
  process.exit(tally.failures === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`tour failed: ${(err as Error).message}\n`);
  process.exit(1);
});
