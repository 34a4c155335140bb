// The state machine scenarios' shared fixture: a fresh local stack per
// scenario with jobs and polling scaled to match, a run to its end with its
// manifest and history, and the records the functions logged. Each
// scenario owns its stack (its own engine, simulator, functions and
// coordination table), so scenarios in different files run side by side
// (scripts/test.d/30-statemachine) without sharing a fault, a cap or a
// count.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startStack } from '../../tools/local-stack/stack.mjs';
import { submitRun, waitForRun, historyOf, preparedRunOf, callsPerJob } from '../../tools/local-stack/runs.mjs';

export const BUCKET = 'quicksight-exports-local';
export const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples', 'export-request.json'), 'utf8'));
const LOG_ROOT = join(ROOT, 'target', 'statemachine-tests');

/** A stack for one scenario: jobs of `jobMs`, polling scaled to match. */
export async function withStack(name, { simFlags = [], jobMs = 2000, settings = {}, revoke = {}, copyEvents = true }, body) {
  const stack = await startStack({
    logDir: join(LOG_ROOT, name),
    bucket: BUCKET,
    revoke,
    copyEvents,
    // Jobs end a little before the first check, as a well-set FirstPollSeconds does.
    simFlags: ['--job-duration-ms', String(Math.max(100, jobMs - 300)), '--queued-ms', '100', ...simFlags],
    settings: {
      MAX_CONCURRENT_JOBS: '12',
      SLOT_CAP: '12',
      FIRST_POLL_SECONDS: String(Math.ceil(jobMs / 1000)),
      POLL_INTERVAL_SECONDS: '1',
      JOB_TIMEOUT_SECONDS: '600',
      ...settings,
    },
  });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

/** Runs `request` to its end; the manifest, history and figures after. */
export async function run(stack, request, name, { onTick } = {}) {
  const submitted = await submitRun(stack, { request, name });
  const result = await waitForRun(stack, submitted, { onTick: onTick && (() => onTick(submitted)) });
  const parentEvents = await historyOf(stack, submitted.executionArn);
  const prepared = preparedRunOf(parentEvents);
  const manifest = result.output ? await stack.s3.getJson(BUCKET, result.output.manifest_uri.replace(`s3://${BUCKET}/`, '')) : null;
  return { submitted, result, parentEvents, prepared, manifest };
}

export function byId(manifest) {
  return Object.fromEntries(manifest.recipients.map((e) => [e.recipient_id, e]));
}

/** Every embedded-metric-format record in the functions' logs. */
export function emfRecords(stack) {
  const records = [];
  for (const file of logFiles(stack)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const at = line.indexOf('{"');
      if (at < 0 || !line.includes('"_aws"')) continue;
      try { records.push(JSON.parse(line.slice(at))); } catch { /* not a whole record */ }
    }
  }
  return records;
}

export function logFiles(stack) {
  const dir = join(stack.childHistoryDir, '..');
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => join(dir, f));
}

/** Runs `requests` side by side on one stack; each one's result and manifest. */
export async function runSideBySide(stack, requests, prefix) {
  const submitted = [];
  for (const [i, request] of requests.entries()) submitted.push(await submitRun(stack, { request, name: `${prefix}-${i + 1}` }));
  const results = await Promise.all(submitted.map((s) => waitForRun(stack, s)));
  const runs = [];
  for (const [i, s] of submitted.entries()) {
    const result = results[i];
    const manifest = result.output ? await stack.s3.getJson(BUCKET, result.output.manifest_uri.replace(`s3://${BUCKET}/`, '')) : null;
    runs.push({ name: s.name, result, manifest, calls: callsPerJob(stack.invocations, s.name) });
  }
  return runs;
}
