import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import request from 'supertest';
import { type Harness, startHarness } from '../helpers';
import { type Family, parsePrometheusText } from '../prom-text';
import { missingFrom, refsOf } from '../promql-refs';
import { exerciseEveryFamily, REFUSING_ENV, refuseOutbound, TRAFFIC_ENV } from '../traffic';

const OPS = path.join(__dirname, '..', '..', 'ops');
const dashboard = JSON.parse(
  fs.readFileSync(path.join(OPS, 'grafana', 'hospital-demo.dashboard.json'), 'utf8'),
) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; definition?: string }> };
};
const rules = yaml.load(fs.readFileSync(path.join(OPS, 'prometheus', 'alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }>;
};

const queries: Array<[string, string]> = [
  ...dashboard.panels.flatMap((p) => p.targets.map((t): [string, string] => [p.title, t.expr])),
  ...dashboard.templating.list.flatMap(
    (v): Array<[string, string]> => (v.definition ? [[`variable ${v.name}`, v.definition]] : []),
  ),
  ...rules.groups.flatMap((g) => g.rules.map((r): [string, string] => [r.alert, r.expr])),
];

describe('the Grafana dashboard and the alert rules query what /metrics exports', () => {
  let h: Harness;
  let refusing: Harness;
  let families: Family[];
  // Two apps: one through every outcome, one whose outbound limiter refuses (a limiter with one
  // token per 10 minutes would stall the other's traffic). The check reads both expositions.
  beforeAll(async () => {
    h = await startHarness(TRAFFIC_ENV);
    refusing = await startHarness(REFUSING_ENV);
    await exerciseEveryFamily(h);
    await refuseOutbound(refusing);
    const of = async (x: Harness) => (await request(x.app).get('/metrics').expect(200)).text;
    // each exposition parses on its own (strictly); the check reads their families together
    families = [await of(h), await of(refusing)].flatMap((t) => [
      ...parsePrometheusText(t).values(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await refusing?.close();
  });

  it('has a variable per circuit and per worker, and the five alerts', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(
      expect.arrayContaining(['worker', 'circuit']),
    );
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort()).toEqual([
      'HospitalDemoCircuitFlapping',
      'HospitalDemoCircuitOpen',
      'HospitalDemoIdempotencyConflictsRising',
      'HospitalDemoOutboundLimiterSaturated',
      'HospitalDemoRedisDegraded',
    ]);
    expect(queries.length).toBeGreaterThan(15);
  });

  it.each(queries)('%s: every metric, label and compared value exists (%s)', (_where, expr) => {
    const refs = refsOf(expr);
    expect(refs.metrics.size).toBeGreaterThan(0);
    expect(missingFrom(families, refs)).toEqual([]);
  });

  it('the check would notice a metric, a label or a value that is not exported', () => {
    expect(missingFrom(families, refsOf('rate(hospital_demo_nope_total[5m])'))).toEqual([
      'metric hospital_demo_nope_total',
    ]);
    expect(
      missingFrom(
        families,
        refsOf('sum by (tenant) (hospital_demo_idempotency_total{outcome="lost"})'),
      ),
    ).toEqual([
      'label tenant on hospital_demo_idempotency_total',
      'hospital_demo_idempotency_total{outcome="lost"}',
    ]);
  });

  it('no label of the exposition carries request data', () => {
    for (const f of families) {
      for (const s of f.samples)
        expect(JSON.stringify(s.labels)).not.toMatch(/St Mary|Main Street|test-key|alice-key/);
    }
  });
});
