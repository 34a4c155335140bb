// The real state machine, run locally end to end: aws-local-stepfunctions
// executes statemachine/export-dashboard.asl.json, every Task invokes the real
// Lambda binary through cargo lambda watch, against quicksight-sim and a local
// S3 server. One fresh stack per scenario.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  PAYLOAD_LIMIT_BYTES,
  startStack,
  runExecution,
  getObject,
  listKeys,
  parseS3Uri,
} from './harness.mjs';

const BUCKET = 'quicksight-exports-local';
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples', 'export-request.json'), 'utf8'));
const LOG_ROOT = join(ROOT, 'target', 'statemachine-tests');
const MAX_RECIPIENTS = 300; // functions/core/src/validation.rs

function request(recipientCount = EXAMPLE.recipients.length) {
  const copy = structuredClone(EXAMPLE);
  copy.recipients = copy.recipients.slice(0, recipientCount);
  return copy;
}

/** Starts a stack, runs one execution, reads the manifest, stops the stack. */
async function scenario(name, { input, simFlags = [], jobMs = 2500, settings = {} }) {
  const stack = await startStack({
    logDir: join(LOG_ROOT, name),
    bucket: BUCKET,
    simFlags: ['--job-duration-ms', String(jobMs), '--queued-ms', '100', ...simFlags],
    settings: {
      MAX_CONCURRENT_JOBS: '12',
      FIRST_POLL_SECONDS: String(Math.ceil(jobMs / 1000)),
      POLL_INTERVAL_SECONDS: '1',
      JOB_TIMEOUT_SECONDS: '600',
      ...settings,
    },
  });
  try {
    const run = await runExecution({ functionsBase: stack.functions.base, input, executionName: `test-${name}` });
    const stats = await stack.quicksight.stats();
    let manifest = null;
    let keys = [];
    if (run.output) {
      const { key } = parseS3Uri(run.output.manifest_uri);
      manifest = JSON.parse((await getObject(stack.s3.endpoint, BUCKET, key)).toString());
      keys = await listKeys(stack.s3.endpoint, BUCKET, key.replace(/manifest\.json$/, ''));
    } else {
      keys = await listKeys(stack.s3.endpoint, BUCKET, '');
    }
    // The first completed recipient's files, read while the server is up.
    const samples = [];
    for (const file of manifest?.recipients.find((e) => e.status === 'completed')?.files ?? []) {
      samples.push(await getObject(stack.s3.endpoint, BUCKET, parseS3Uri(file.s3_uris[0]).key));
    }
    // Figures for the log: what a person would look at.
    const pr = run.perRecipient;
    console.log(
      `# ${name}: ${run.seconds.toFixed(1)} s, ${stats.calls} QuickSight calls, ${stats.throttled} throttled, ` +
        `${stats.limit_exceeded} over the cap, max ${stats.max_running} running; ` +
        `${pr.transitionsPerRecipient?.toFixed(1)} transitions/recipient`,
    );
    return { run, stats, manifest, keys, samples };
  } finally {
    await stack.stop();
  }
}

function byId(manifest) {
  return Object.fromEntries(manifest.recipients.map((e) => [e.recipient_id, e]));
}

test('30 recipients against the 12-job cap all complete, with every file and a manifest', async () => {
  const input = request(30);
  const { run, stats, manifest, keys, samples } = await scenario('thirty', { input, jobMs: 3000 });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.deepEqual(run.output.counts, {
    recipients: 30,
    completed: 30,
    completed_with_file_errors: 0,
    failed: 0,
    files: 90,
  });
  // Exactly one outcome per requested recipient, in request order.
  assert.deepEqual(
    manifest.recipients.map((e) => e.recipient_id),
    input.recipients.map((r) => r.id),
  );
  assert.equal(manifest.dashboard.dashboard_id, 'sales-overview');
  assert.ok(manifest.started_at && manifest.finished_at);
  // The cap was respected, and no start ever hit it.
  assert.ok(stats.max_running <= 12, `max running ${stats.max_running}`);
  assert.equal(stats.limit_exceeded, 0);
  assert.equal(stats.jobs_started, 30);
  // One object per recipient and file group, plus the manifest.
  assert.equal(keys.length, 91);
  for (const entry of manifest.recipients) {
    assert.equal(entry.status, 'completed');
    assert.deepEqual(entry.files.map((f) => f.format), ['PDF', 'CSV', 'EXCEL']);
    for (const file of entry.files) {
      assert.equal(file.s3_uris.length, 1);
      assert.ok(keys.includes(parseS3Uri(file.s3_uris[0]).key), file.s3_uris[0]);
      assert.ok(file.s3_uris[0].includes(`/${entry.recipient_id}/`), file.s3_uris[0]);
    }
  }
  // The files are real: a PDF, a CSV and an XLSX (zip) workbook.
  const [pdf, csv, xlsx] = samples;
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.match(csv.toString(), /^month,item,amount\n/);
  assert.equal(xlsx.subarray(0, 2).toString(), 'PK');
  // No tag value reaches the manifest or the functions' logs.
  const text = JSON.stringify(manifest);
  const logs = readFileSync(join(LOG_ROOT, 'thirty', 'functions.log'), 'utf8');
  assert.match(logs, /"message":"snapshot job started"/, 'the functions log JSON lines');
  for (const r of input.recipients) {
    for (const t of r.rls_tags ?? []) {
      assert.ok(!text.includes(`"${t.value}"`), `${t.value} in the manifest`);
      assert.ok(!logs.includes(`"${t.value}"`), `${t.value} in the logs`);
    }
  }
  // The Map's output grows per recipient: the bound on recipients must keep
  // it under Step Functions' payload limit.
  const perRecipient = run.mapOutputBytes / 30;
  assert.ok(
    perRecipient * MAX_RECIPIENTS < PAYLOAD_LIMIT_BYTES,
    `${perRecipient} bytes per recipient x ${MAX_RECIPIENTS} exceeds ${PAYLOAD_LIMIT_BYTES}`,
  );
});

test('a job cap shared with other workloads: LimitExceeded is retried until every job runs', async () => {
  const input = request(16);
  // Other tenants hold 8 of the account's 12 slots.
  const { run, stats } = await scenario('shared-cap', { input, simFlags: ['--max-running-jobs', '4'], jobMs: 2000 });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.equal(run.output.counts.completed, 16);
  assert.ok(stats.limit_exceeded > 0, 'the simulator refused some starts');
  assert.ok(stats.max_running <= 4);
  assert.ok(run.errorsRetried['QuickSight.LimitExceededException'] > 0);
});

test('a recipient whose job fails is recorded as failed while the others complete', async () => {
  const input = request(12);
  const { run, manifest } = await scenario('one-fails', {
    input,
    simFlags: ['--fail-job=-globex-=DASHBOARD_ACCESS_DENIED', '--file-error=-initech-=RLS_CHANGED'],
  });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.deepEqual(run.output.counts, {
    recipients: 12,
    completed: 11,
    completed_with_file_errors: 1,
    failed: 1,
    files: 11 * 3 - 1,
  });
  const entries = byId(manifest);
  assert.equal(entries.globex.status, 'failed');
  assert.equal(entries.globex.error.type, 'DASHBOARD_ACCESS_DENIED');
  assert.ok(entries.globex.snapshot_job_id);
  assert.equal(entries.initech.status, 'completed');
  assert.equal(entries.initech.files[0].errors[0].type, 'RLS_CHANGED');
  assert.equal(entries.initech.files[0].s3_uris.length, 0);
  assert.equal(entries.acme.status, 'completed');
});

test('a throttling burst is absorbed by the retries', async () => {
  const input = request(12);
  const { run, stats } = await scenario('throttled', { input, simFlags: ['--calls-per-second', '3'], jobMs: 2000 });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.equal(run.output.counts.completed, 12);
  assert.ok(stats.throttled > 0, 'the simulator throttled some calls');
  assert.ok(run.errorsRetried['QuickSight.ThrottlingException'] > 0);
});

test('a request with bad fields fails before any job starts, listing every problem', async () => {
  const input = request(3);
  input.account_id = '12345';
  input.recipients[1].rls_tags[0].value = '';
  input.file_groups[1].sheets[0].visual_ids = ['a', 'b'];
  const { run, stats, keys } = await scenario('invalid', { input });
  assert.equal(run.output, null);
  assert.match(run.failure.message, /Export\.InvalidRequest/);
  const cause = JSON.stringify(run.failure);
  assert.match(cause, /account_id: must be exactly 12 digits/);
  assert.match(cause, /recipients\[1\]\.rls_tags\[0\]\.value: must be 1-256 characters/);
  assert.match(cause, /file_groups\[1\]\.sheets/);
  assert.equal(stats.calls, 0, 'no QuickSight call was made');
  assert.equal(keys.length, 0, 'nothing was written');
});

test('an error that no retry fixes is recorded for each recipient, and the manifest is still written', async () => {
  const input = request(3);
  const { run, manifest } = await scenario('no-dashboard', { input, simFlags: ['--dashboards', 'another-dashboard'] });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.equal(run.output.counts.failed, 3);
  for (const entry of manifest.recipients) {
    assert.equal(entry.error.type, 'QuickSight.ResourceNotFoundException');
    assert.match(entry.error.message, /sales-overview/);
    assert.equal(entry.snapshot_job_id, undefined, 'the job never started');
  }
});

test('a started job that can no longer be checked is recorded with its job ID', async () => {
  const input = request(3);
  const { run, manifest } = await scenario('denied', { input, simFlags: ['--deny-describe=-globex-'] });
  assert.equal(run.failure, null, JSON.stringify(run.failure));
  assert.equal(run.output.counts.completed, 2);
  const globex = byId(manifest).globex;
  assert.equal(globex.status, 'failed');
  assert.equal(globex.error.type, 'QuickSight.AccessDeniedException');
  assert.match(globex.snapshot_job_id, /-globex-/);
});
