// Export requests for the local runs and tests: generated ones of any size,
// and the values in a request that must never leave it.

import { randomBytes } from 'node:crypto';

/**
 * `base` (a request) with `n` recipients, `tenant-00001` and on, each with
 * a tag value of its own and the string parameters given values of this
 * run's own, so that a leak scan can tell them from anything else.
 */
export function syntheticRequest(base, n, { tag = randomBytes(4).toString('hex') } = {}) {
  const request = structuredClone(base);
  const width = String(n).length;
  request.recipients = Array.from({ length: n }, (_, i) => {
    const id = `tenant-${String(i + 1).padStart(Math.max(5, width), '0')}`;
    return { id, rls_tags: [{ key: 'tenant_id', value: `TAG-${tag}-${id}` }] };
  });
  for (const p of request.parameters?.string ?? []) {
    p.values = p.values.map((_, j) => `PARAM-${tag}-${p.name}-${j}`);
  }
  return request;
}

/**
 * The values a request holds for its users' customers: every tag value and
 * every string and date-time parameter value. Numbers are left out (a "10"
 * is in every timestamp); values under 4 characters too, for the same reason.
 */
export function secretsOf(request) {
  const values = new Set();
  for (const r of request.recipients ?? []) for (const t of r.rls_tags ?? []) values.add(String(t.value));
  for (const kind of ['string', 'datetime']) for (const p of request.parameters?.[kind] ?? []) for (const v of p.values) values.add(String(v));
  return [...values].filter((v) => v.length >= 4);
}
