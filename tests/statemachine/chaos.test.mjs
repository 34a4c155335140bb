// Nothing lost under faults: 200 recipients through the real state machine
// while the simulator throttles, fails with 500s, refuses starts for lack
// of slots taken elsewhere, drops connections, loses replies after a job
// started, and fails jobs and files (access denied, RLS/CLS changed, data
// set deleted). The run must end with exactly one outcome per requested
// recipient, every failure with its cause, every completed file in the
// bucket and no slot left. Then one start step delivered twice more (Lambda
// delivers at least once) must start no second job.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startStack, slotState } from '../../tools/local-stack/stack.mjs';
import { submitRun, waitForRun, invokeFunction } from '../../tools/local-stack/runs.mjs';
import { syntheticRequest } from '../../tools/local-stack/requests.mjs';

const BUCKET = 'quicksight-exports-local';
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples', 'export-request.json'), 'utf8'));
// Probabilities per call, drawn from one seeded generator: replayable.
const FAULTS = 'throttle=0.03,internal=0.03,limit=0.03,reset=0.02,lost-reply=0.02';

test('200 recipients under a mixed fault profile: one outcome each, every failure with its cause, every file present, no slot left; a start delivered twice starts one job', async () => {
  const stack = await startStack({
    logDir: join(ROOT, 'target', 'statemachine-tests', 'chaos'),
    bucket: BUCKET,
    simFlags: [
      '--job-duration-ms', '1700', '--queued-ms', '300',
      '--faults', FAULTS, '--fault-seed', '11',
      '--fail-job', 'tenant-0001=DASHBOARD_ACCESS_DENIED',
      '--fail-job', 'tenant-0004=CLS_CHANGED',
      '--file-error', 'tenant-0002=RLS_CHANGED',
      '--file-error', 'tenant-0003=DATASET_DELETED',
    ],
    settings: { MAX_CONCURRENT_JOBS: '12', SLOT_CAP: '12', FIRST_POLL_SECONDS: '2', POLL_INTERVAL_SECONDS: '1', JOB_TIMEOUT_SECONDS: '900' },
  });
  try {
    const request = syntheticRequest(EXAMPLE, 200);
    const submitted = await submitRun(stack, { request, name: 'chaos-1' });
    const result = await waitForRun(stack, submitted);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const manifest = await stack.s3.getJson(BUCKET, result.output.manifest_uri.replace(`s3://${BUCKET}/`, ''));

    // Exactly one outcome per requested recipient, in request order.
    const requested = request.recipients.map((r) => r.id);
    assert.deepEqual(manifest.recipients.map((e) => e.recipient_id), requested);
    assert.equal(new Set(manifest.recipients.map((e) => e.recipient_id)).size, 200);
    assert.equal(manifest.counts.missing, 0, 'every recipient has a recorded outcome');
    const outcomeKeys = await stack.s3.list(BUCKET, 'runs/monthly/chaos-1/outcomes/');
    assert.equal(outcomeKeys.length, 200, 'one outcome object each, none twice');

    // Every failure carries its cause; every completed file exists.
    const keys = new Set(await stack.s3.list(BUCKET, 'runs/monthly/chaos-1/files/'));
    for (const entry of manifest.recipients) {
      if (entry.status === 'failed') {
        assert.ok(entry.error?.type && entry.error?.message, `${entry.recipient_id}: failed without a cause`);
      } else {
        assert.equal(entry.status, 'completed', entry.recipient_id);
        for (const uri of entry.files.flatMap((f) => f.s3_uris)) {
          assert.ok(keys.has(uri.replace(`s3://${BUCKET}/`, '')), `${entry.recipient_id}: ${uri} is missing`);
        }
      }
    }
    // The job-level faults landed where they were aimed.
    const byId = Object.fromEntries(manifest.recipients.map((e) => [e.recipient_id, e]));
    assert.equal(byId['tenant-00012'].error.type, 'DASHBOARD_ACCESS_DENIED');
    assert.equal(byId['tenant-00042'].error.type, 'CLS_CHANGED');
    assert.equal(byId['tenant-00042'].attempts, 2, 'CLS_CHANGED runs the job once more');
    assert.equal(byId['tenant-00022'].files[0].errors[0].type, 'RLS_CHANGED');
    assert.equal(byId['tenant-00032'].files[0].errors[0].type, 'DATASET_DELETED');

    const stats = await stack.quicksight.stats();
    assert.ok(stats.faults_injected > 20, `the profile met calls: ${stats.faults_injected}`);
    assert.ok(stats.max_running <= 12, `never past the cap: ${stats.max_running}`);
    const slots = await slotState(stack);
    assert.deepEqual([slots.leases.length, slots.waiters.length], [0, 0], 'no lease or waiter left');

    // At-least-once delivery: the start step of a recipient, delivered again
    // (twice) to the real function, finds its job and starts no other.
    const delivered = stack.invocations.find(
      (i) => i.name === 'start-job' && !i.functionError && i.payload.toString().includes('tenant-00005'),
    );
    assert.ok(delivered, 'the start step of tenant-00005 was delivered');
    const original = JSON.parse(delivered.body.toString());
    const jobsBefore = stats.jobs_started;
    for (const delivery of [1, 2]) {
      let answer;
      // The fault profile is still on: a throttled or dropped call is
      // retried, as the state machine's Retry would.
      for (let attempt = 1; !answer; attempt++) {
        try {
          answer = await invokeFunction(stack, 'start-job', JSON.parse(delivered.payload.toString()));
        } catch (error) {
          if (attempt >= 20 || error.errorType === 'Export.MalformedInput') throw error;
        }
      }
      assert.equal(answer.snapshot_job_id, original.snapshot_job_id, `delivery ${delivery} names the same job`);
      assert.equal(answer.already_started, true, `delivery ${delivery} finds the job started`);
    }
    assert.equal((await stack.quicksight.stats()).jobs_started, jobsBefore, 'no second job was started');

    const failedBy = {};
    for (const e of manifest.recipients.filter((x) => x.status === 'failed')) failedBy[e.error.type] = (failedBy[e.error.type] ?? 0) + 1;
    console.log(`# chaos: ${stats.faults_injected} faults over ${stats.calls} calls; outcomes: ${manifest.counts.completed} completed, failures by cause ${JSON.stringify(failedBy)}`);
  } finally {
    await stack.stop();
  }
});
