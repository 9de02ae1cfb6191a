import { bold, check, dim, type StatusJson, say, sleep, watch } from './tour-kit';

/**
 * The tour's step that lowers the create breaker's threshold at run time through the admin API
 * (`PUT /admin/breakers/:name`), checks that `/status.json` shows it, and restores it.
 */
export async function thresholdStep(o: {
  step: number;
  serviceUrl: string;
  adminKey: string | undefined;
  /** The create breaker's name. */
  name: string;
  breakerFailureThreshold: number;
  status: () => Promise<StatusJson>;
}): Promise<void> {
  const { serviceUrl, adminKey, name, breakerFailureThreshold, status } = o;
  say(
    `\n${bold(`${o.step}. Lower the create breaker's threshold at run time`)} (PUT /admin/breakers/:name)`,
  );
  const lowered = Math.max(1, Math.floor(breakerFailureThreshold / 2));
  say(
    `   expected: breaker.configure() stores failureThreshold ${lowered} in Redis and publishes it; /status.json (whichever worker answers) shows it`,
  );
  watch('the hospital-api.create row of the status page shows the new threshold');
  if (adminKey) {
    const configure = (failureThreshold: number) =>
      fetch(`${serviceUrl}/admin/breakers/${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ failureThreshold }),
      });
    const changed = await configure(lowered);
    // every worker applies it when the published change arrives: read a few answers, bounded
    let shown: number | undefined;
    for (let i = 0; i < 50; i++) {
      shown = (await status()).breakers.find((b) => b.name === name)?.failureThreshold;
      if (shown === lowered) break;
      await sleep(100);
    }
    check(
      'the new threshold is applied',
      changed.status === 200 && shown === lowered,
      `PUT answered ${changed.status}; /status.json shows failureThreshold ${shown} (was ${breakerFailureThreshold})`,
    );
    const restored = await configure(breakerFailureThreshold);
    say(
      dim(
        `   restored to ${breakerFailureThreshold} (${restored.status}) so the tour can run again`,
      ),
    );
  } else {
    say(dim('   skipped: no admin key (set DEMO_ADMIN_KEY)'));
  }
}
