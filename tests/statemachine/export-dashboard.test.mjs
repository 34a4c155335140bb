// The real state machine, run end to end on the local stack: moto's engine
// executes statemachine/export-dashboard.asl.json (Distributed Map
// included), every Task invokes the real Lambda binary under cargo lambda's
// emulator, against quicksight-sim and moto's S3. One fresh stack per
// scenario (scenario.mjs). The 1,000-recipient run is in
// thousand.test.mjs, runs sharing the account in sharing.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HISTORY_EVENT_LIMIT,
  PAYLOAD_LIMIT_BYTES,
  waitForRun,
  childHistories,
  executionFigures,
  findSecrets,
  outcomesRecorded,
  invokeFunction,
} from '../../tools/local-stack/runs.mjs';
import { syntheticRequest, secretsOf } from '../../tools/local-stack/requests.mjs';
import { BUCKET, EXAMPLE, withStack, run, byId, emfRecords, logFiles } from './scenario.mjs';

test('30 recipients: one outcome each, every file written, no tag or parameter value anywhere', async () => {
  await withStack('thirty', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 30);
    const { result, parentEvents, prepared, manifest } = await run(stack, request, 'thirty');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(manifest.counts, { recipients: 30, completed: 30, completed_with_file_errors: 0, failed: 0, cancelled: 0, missing: 0, files: 90 });
    assert.deepEqual(manifest.recipients.map((e) => e.recipient_id), request.recipients.map((r) => r.id), 'request order');

    // One outcome object per recipient, and every file they name exists.
    const keys = new Set(await stack.s3.list(BUCKET, `${prepared.run_prefix}/`));
    const outcomes = [...keys].filter((k) => k.startsWith(`${prepared.run_prefix}/outcomes/`));
    assert.equal(outcomes.length, 30);
    for (const entry of manifest.recipients) {
      for (const file of entry.files) {
        for (const uri of file.s3_uris) {
          assert.ok(uri.startsWith(`s3://${BUCKET}/${prepared.run_prefix}/files/${entry.recipient_id}/`), uri);
          assert.ok(keys.has(uri.replace(`s3://${BUCKET}/`, '')), `${uri} is missing`);
        }
      }
    }
    const stats = await stack.quicksight.stats();
    assert.equal(stats.jobs_started, 30);
    assert.ok(stats.max_running <= 12, `at most 12 jobs at once, saw ${stats.max_running}`);

    // The embedded-metric-format records the functions wrote: every
    // QuickSight call counted once, and the run's figures.
    const records = emfRecords(stack);
    const sum = (name) => records.reduce((n, r) => n + (r[name] ?? 0), 0);
    assert.equal(sum('QuickSightCalls'), stats.calls, 'one QuickSightCalls per call the simulator answered');
    const runRecord = records.find((r) => r.run_id === 'thirty' && 'Recipients' in r);
    assert.ok(runRecord, 'write-manifest wrote the run figures');
    assert.equal(runRecord.Recipients, 30);
    assert.equal(runRecord.RecipientsCompleted, 30);
    assert.equal(runRecord.RecipientsFailed, 0);
    assert.ok(runRecord.MakespanBound > 0 && runRecord.Makespan >= runRecord.MakespanBound * 0.5, `${manifest.started_at}: ${JSON.stringify(runRecord)}`);
    assert.deepEqual(runRecord._aws.CloudWatchMetrics[0].Dimensions, [['Stack']]);
    assert.equal(records.filter((r) => 'SlotWait' in r).length, 30, 'one slot wait per recipient');

    // The execution's history, each child's, every payload, log and object.
    const children = childHistories(stack);
    assert.equal(children.length, 30);
    const objects = [];
    for (const k of keys) if (k.endsWith('.json')) objects.push({ where: k, text: (await stack.s3.get(BUCKET, k)).toString() });
    const secrets = secretsOf(request);
    assert.equal(secrets.length, 32, '30 tag values, a string and a date-time parameter value');
    const hits = findSecrets(secrets, { parentEvents, children, invocations: stack.invocations, logFiles: logFiles(stack), objects });
    assert.deepEqual(hits, []);
    // The scan can fail: the stored request itself holds every value.
    const stored = (await stack.s3.get(BUCKET, 'requests/thirty.json')).toString();
    assert.equal(findSecrets(secrets, { parentEvents: [], children: [], invocations: [], objects: [{ where: 'request', text: stored }] }).length, 32);

    const figures = executionFigures(parentEvents, children);
    assert.ok(figures.childHistoryEventsMax < HISTORY_EVENT_LIMIT / 100, JSON.stringify(figures));
    assert.ok(figures.largestPayloadBytes < PAYLOAD_LIMIT_BYTES / 100, JSON.stringify(figures));
  });
});

test('failed jobs, file errors, a re-run on RLS_CHANGED and a job that cannot be described are each recorded; the batch goes on', async () => {
  const simFlags = [
    '--fail-job', 'tenant-00002=DASHBOARD_ACCESS_DENIED',
    '--file-error', 'tenant-00003=RLS_CHANGED',
    '--file-error', 'tenant-00004=DATASET_DELETED',
    '--deny-describe', 'tenant-00005',
  ];
  await withStack('failures', { simFlags }, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 8);
    const { result, manifest } = await run(stack, request, 'failures');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const e = byId(manifest);
    assert.equal(e['tenant-00001'].status, 'completed');
    assert.equal(e['tenant-00002'].status, 'failed');
    assert.equal(e['tenant-00002'].error.type, 'DASHBOARD_ACCESS_DENIED');
    assert.match(e['tenant-00002'].snapshot_job_id, /^failures-tenant-00002-/);
    // QuickSight asked for a re-run: a second job, then the error is kept.
    assert.equal(e['tenant-00003'].status, 'completed');
    assert.equal(e['tenant-00003'].attempts, 2);
    assert.equal(e['tenant-00003'].files[0].errors[0].type, 'RLS_CHANGED');
    assert.equal(e['tenant-00004'].files[0].errors[0].type, 'DATASET_DELETED');
    assert.equal(e['tenant-00004'].attempts, 1);
    // Started, then refused: recorded with the job's ID to look it up.
    assert.equal(e['tenant-00005'].status, 'failed');
    assert.equal(e['tenant-00005'].error.type, 'QuickSight.AccessDeniedException');
    assert.match(e['tenant-00005'].snapshot_job_id, /^failures-tenant-00005-/);
    assert.deepEqual(
      { completed: manifest.counts.completed, failed: manifest.counts.failed, with_file_errors: manifest.counts.completed_with_file_errors },
      { completed: 6, failed: 2, with_file_errors: 2 },
    );
    assert.equal((await stack.quicksight.stats()).jobs_started, 9, 'eight recipients, one of them twice');
  });
});

test('an invalid request fails the execution with every problem before any job starts, and echoes no value', async () => {
  await withStack('invalid', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 3);
    request.account_id = '123';
    request.destination.bucket = 'somebody-elses-bucket';
    request.recipients[1].rls_tags = null;
    request.recipients[2].rls_tags[0].value = 'x'.repeat(300) + 'TAG-OVERSIZED';
    const { result, parentEvents } = await run(stack, request, 'invalid');
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'Export.InvalidRequest');
    for (const path of ['account_id', 'destination.bucket', 'recipients[1].rls_tags', 'recipients[2].rls_tags[0].value']) {
      assert.ok(result.cause.includes(path), `${path} in ${result.cause}`);
    }
    assert.equal((await stack.quicksight.stats()).calls, 0);
    assert.deepEqual(findSecrets([...secretsOf(request), 'TAG-OVERSIZED'], { parentEvents, children: [], invocations: stack.invocations }), []);
  });
});

test('a request of another shape is refused with what the input should be', async () => {
  await withStack('inline', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 2);
    // A request passed inline instead of its location.
    const { executionArn } = await stack.sfn('StartExecution', {
      stateMachineArn: stack.stateMachineArn,
      name: 'inline',
      input: JSON.stringify(request),
    });
    const result = await waitForRun(stack, { executionArn, startedAt: Date.now() });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'Export.MalformedInput');
    assert.match(result.cause, /location of a stored request/);
    // The values came in with the input; the error does not send them on.
    const answers = stack.invocations.map((i) => ({ where: `${i.name} answer`, text: i.body.toString() }));
    const objects = [{ where: 'cause', text: result.cause }, ...answers];
    assert.deepEqual(findSecrets(secretsOf(request), { parentEvents: [], children: [], invocations: [], objects }), []);
  });
});

test('a throttled account: every call is retried until it lands', async () => {
  await withStack('throttled', { simFlags: ['--calls-per-second', '3'] }, async (stack) => {
    const { result, manifest } = await run(stack, syntheticRequest(EXAMPLE, 12), 'throttled');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(manifest.counts.completed, 12);
    assert.ok((await stack.quicksight.stats()).throttled > 0, 'the account was throttled');
  });
});

test('a job still running at its deadline is recorded as timed out, with its job ID', async () => {
  await withStack('deadline', { jobMs: 60000, settings: { FIRST_POLL_SECONDS: '2', JOB_TIMEOUT_SECONDS: '10' } }, async (stack) => {
    const { result, manifest } = await run(stack, syntheticRequest(EXAMPLE, 3), 'deadline');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.ok(result.seconds < 40, `polling ended at the deadline, not the job's end (${result.seconds} s)`);
    for (const entry of manifest.recipients) {
      assert.equal(entry.status, 'failed');
      assert.equal(entry.error.type, 'Export.JobTimedOut');
      assert.match(entry.snapshot_job_id, /^deadline-tenant-/);
    }
  });
});

test('a run stopped halfway keeps every outcome recorded, and its manifest can be written again', async () => {
  await withStack('stopped', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 48);
    let stoppedAt = null;
    const { result, prepared } = await run(stack, request, 'stopped', {
      onTick: async (submitted) => {
        if (stoppedAt === null && outcomesRecorded(stack.invocations) >= 12) {
          stoppedAt = outcomesRecorded(stack.invocations);
          await stack.sfn('StopExecution', { executionArn: submitted.executionArn, error: 'Test.Stopped', cause: 'halfway' });
        }
      },
    });
    assert.equal(result.status, 'ABORTED');
    assert.ok(stoppedAt >= 12);
    // The documented command: write-manifest with the run's bucket and prefix.
    const summary = await invokeFunction(stack, 'write-manifest', { bucket: BUCKET, run_prefix: prepared.run_prefix });
    const manifest = await stack.s3.getJson(BUCKET, summary.manifest_uri.replace(`s3://${BUCKET}/`, ''));
    const c = manifest.counts;
    assert.equal(c.recipients, 48);
    assert.ok(c.completed >= stoppedAt, `${c.completed} completed, ${stoppedAt} recorded when stopped`);
    assert.ok(c.missing > 0 && c.missing < 48 - 11, `${c.missing} without an outcome`);
    // Every recipient is listed once: completed, or failed with why (no
    // outcome, for those the stop cut short; moto's engine sometimes runs a
    // Catch of a task it interrupts, which records that task's failure).
    assert.equal(c.completed + c.failed, 48);
    const recordedFailures = manifest.recipients.filter((e) => e.status === 'failed' && e.error.type !== 'Export.OutcomeMissing');
    assert.ok(recordedFailures.length <= 2, JSON.stringify(recordedFailures.map((e) => e.error)));
    const outcomes = await stack.s3.list(BUCKET, `${prepared.run_prefix}/outcomes/`);
    assert.equal(outcomes.length, c.completed + recordedFailures.length);
  });
});

test('a job belongs to one submission: a resubmission starts its own jobs, a run ID is never shared', async () => {
  await withStack('submissions', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 3);
    const first = await run(stack, request, 'same.run');
    const again = await run(stack, request, 'resubmitted');
    assert.equal(first.result.status, 'SUCCEEDED', first.result.cause);
    assert.equal(again.result.status, 'SUCCEEDED', again.result.cause);
    const firstIds = first.manifest.recipients.map((e) => e.snapshot_job_id);
    const againIds = again.manifest.recipients.map((e) => e.snapshot_job_id);
    assert.equal(new Set([...firstIds, ...againIds]).size, 6, 'six distinct jobs');
    assert.notEqual(first.prepared.run_prefix, again.prepared.run_prefix);
    let stats = await stack.quicksight.stats();
    assert.deepEqual({ started: stats.jobs_started, exists: stats.resource_exists }, { started: 6, exists: 0 });

    // Another execution whose name reads the same once made safe for keys
    // and job IDs is refused before any job starts.
    const clash = await run(stack, request, 'same_run');
    assert.equal(clash.result.status, 'FAILED');
    assert.equal(clash.result.error, 'Export.RunIdInUse');
    stats = await stack.quicksight.stats();
    assert.equal(stats.jobs_started, 6);
  });
});
