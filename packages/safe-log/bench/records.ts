/** The records of bench case 8: imported by bench/src/cases/safe-log.ts and the scripts of this folder. */

/** The record of bench case 8. */
export function sampleRecord(i: number): Record<string, unknown> {
  return {
    requestId: `req-${i}-7f3a9c2e`,
    route: '/hospitals/:id',
    method: 'POST',
    status: 201,
    durationMs: 12.5,
    user: { id: 'u-1842', role: 'registrar', email: 'ana.garcia@example.org' },
    hospital: {
      id: 'h-000912',
      name: 'St. Mary General',
      address: { street: '1200 Westheimer Rd', city: 'Houston', zip: '77006' },
      beds: 420,
      departments: ['cardiology', 'oncology', 'pediatrics', 'emergency'],
    },
    patient: {
      mrn: 'MRN-00482913',
      ssn: '123-45-6789',
      dob: '1984-03-12',
      phone: '+1 713 555 0199',
    },
    upstream: {
      url: 'https://registry.example.org/v1/hospitals?dob=1984-03-12&name=Ana',
      attempt: 2,
      latencyMs: [10.2, 11.9, 35.1],
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc123' },
    },
    note: 'created after one retry; registry answered 503 once then 201',
    tags: ['create', 'activate', 'idempotent'],
  };
}
/** As bench case 8c: a new requestId and a new free-text note in record n. */
export const fresh = (n: number, rec: Record<string, unknown>) => ({
  ...rec,
  requestId: `req-${n}-${(n * 2654435761) % 4294967296}`,
  note: `created after ${n % 5} retries; registry answered 503 once then 201 (attempt ${n})`,
});
