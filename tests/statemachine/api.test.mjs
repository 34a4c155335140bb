// The API on the local stack: the `api` function (lambda_http, the real
// aws-sdk-sfn and aws-sdk-s3) under cargo lambda's emulator, called with SigV4-signed
// requests, in front of the real state machine in moto's engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startStack, slotState } from '../../tools/local-stack/stack.mjs';
import { callApi } from '../../tools/local-stack/api-client.mjs';
import { syntheticRequest, secretsOf } from '../../tools/local-stack/requests.mjs';
import { invokeFunction, until } from '../../tools/local-stack/runs.mjs';

const BUCKET = 'quicksight-exports-local';
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples', 'export-request.json'), 'utf8'));
const LOG_ROOT = join(ROOT, 'target', 'statemachine-tests');

async function withStack(name, { jobMs = 2000, simFlags = [] }, body) {
  const stack = await startStack({
    logDir: join(LOG_ROOT, name),
    bucket: BUCKET,
    simFlags: ['--job-duration-ms', String(jobMs - 300), '--queued-ms', '100', ...simFlags],
    settings: { FIRST_POLL_SECONDS: String(Math.ceil(jobMs / 1000)), POLL_INTERVAL_SECONDS: '1', JOB_TIMEOUT_SECONDS: '600' },
  });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}


const finished = (stack, id) =>
  until(`run ${id} to finish`, async () => {
    const r = await callApi(stack, 'GET', `/exports/${id}`);
    return r.body.status !== 'RUNNING' && r.body.manifest ? r : null;
  });

test('submitted through the API: validated, started once per key, listed, inspected with working links, and announced', async () => {
  await withStack('api-submit', {}, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 6);
    const submitted = await callApi(stack, 'POST', '/exports', { body: request, headers: { 'Idempotency-Key': 'api-run-1' } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.deepEqual(
      { run_id: submitted.body.run_id, replayed: submitted.body.replayed, status_url: submitted.body.status_url },
      { run_id: 'api-run-1', replayed: false, status_url: '/exports/api-run-1' },
    );
    // The same submission again is the same run.
    const again = await callApi(stack, 'POST', '/exports', { body: request, headers: { 'Idempotency-Key': 'api-run-1' } });
    assert.equal(again.status, 202);
    assert.equal(again.body.replayed, true);
    // The same key with another body is refused.
    const other = await callApi(stack, 'POST', '/exports', { body: syntheticRequest(EXAMPLE, 2), headers: { 'Idempotency-Key': 'api-run-1' } });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, 'IdempotencyConflict');

    // Invalid: every field error, nothing started, no value echoed.
    const bad = structuredClone(request);
    bad.account_id = '12';
    bad.recipients[0].rls_tags[0].value = '';
    const invalid = await callApi(stack, 'POST', '/exports', { body: bad, headers: { 'Idempotency-Key': 'api-bad' } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'InvalidRequest');
    assert.deepEqual(invalid.body.errors.map((e) => e.path), ['account_id', 'recipients[0].rls_tags[0].value']);
    for (const secret of secretsOf(request)) assert.ok(!JSON.stringify(invalid.body).includes(secret));
    const unknown = await callApi(stack, 'GET', '/exports/api-bad');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'RunNotFound');

    const done = await finished(stack, 'api-run-1');
    assert.equal(done.body.status, 'SUCCEEDED');
    assert.equal(done.body.counts.completed, 6);
    assert.equal(done.body.recipients.length, 6);
    const link = done.body.recipients[0].files[0].download_urls[0];
    const file = await fetch(link, { signal: AbortSignal.timeout(30000) });
    assert.equal(file.status, 200, link);
    assert.ok((await file.arrayBuffer()).byteLength > 100);
    const manifest = await fetch(done.body.manifest.download_url, { signal: AbortSignal.timeout(30000) });
    assert.equal((await manifest.json()).counts.completed, 6);
    // Page by page.
    const page = await callApi(stack, 'GET', '/exports/api-run-1?limit=4');
    assert.equal(page.body.recipients.length, 4);
    const rest = await callApi(stack, 'GET', `/exports/api-run-1?limit=4&next_token=${page.body.next_token}`);
    assert.equal(rest.body.recipients.length, 2);

    const listed = await callApi(stack, 'GET', '/exports?status=SUCCEEDED');
    assert.deepEqual(listed.body.runs.map((r) => r.run_id), ['api-run-1']);

    // One event per outcome and one for the run, links included, no value.
    const events = await stack.events.published();
    const outcomes = events.filter((e) => e['detail-type'] === 'Export Recipient Outcome');
    assert.equal(new Set(outcomes.map((e) => e.detail.outcome.recipient_id)).size, 6);
    const runFinished = events.find((e) => e['detail-type'] === 'Export Run Finished');
    assert.equal(runFinished.detail.counts.completed, 6);
    assert.equal(runFinished.detail.failed_recipients, false);
    assert.ok(outcomes[0].detail.outcome.files[0].download_urls[0].includes('X-Amz-Signature'));
    for (const secret of secretsOf(request)) assert.ok(!JSON.stringify(events).includes(secret), secret);
  });
});

test('cancelled halfway through the API: outcomes kept, the rest recorded as cancelled, slots freed; the failed recipients retried', async () => {
  await withStack('api-cancel', { jobMs: 3000, simFlags: ['--fail-job', 'tenant-00002=DASHBOARD_ACCESS_DENIED'] }, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 36);
    const submitted = await callApi(stack, 'POST', '/exports', { body: request, headers: { 'Idempotency-Key': 'api-halfway' } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    await until('some outcomes', async () => (await callApi(stack, 'GET', '/exports/api-halfway?limit=1')).body.counts?.recorded >= 12);
    // The answer comes at once; the run is stopped and its slots are free.
    const cancelled = await callApi(stack, 'DELETE', '/exports/api-halfway');
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'ABORTED');
    assert.equal(cancelled.body.cancellation, 'in_progress');
    assert.deepEqual((await slotState(stack)).leases.filter((l) => l.run.endsWith(':api-halfway')), []);
    // The execution's ABORTED event, as the template's rule hands it to
    // finish-cancel (moto emits no EventBridge events).
    const executionArn = `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:api-halfway`;
    const finishedCancel = await invokeFunction(stack, 'finish-cancel', {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn, stateMachineArn: stack.stateMachineArn, name: 'api-halfway', status: 'ABORTED' },
    });
    const c = finishedCancel.finished.counts;
    assert.equal(c.recipients, 36);
    assert.ok(c.cancelled > 0 && c.completed >= 11, JSON.stringify(c));
    assert.equal(c.completed + c.failed + c.cancelled, 36, JSON.stringify(c));
    assert.equal(c.missing, 0);
    const inspected = await callApi(stack, 'GET', '/exports/api-halfway?limit=1');
    assert.deepEqual(inspected.body.counts, { ...c, recorded: 36 });
    const again = await callApi(stack, 'DELETE', '/exports/api-halfway');
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'RunNotRunning');

    // A retry runs only the failed recipient (tenant-00002), not the cancelled.
    const retried = await callApi(stack, 'POST', '/exports/api-halfway/retry', { headers: { 'Idempotency-Key': 'api-halfway-retry' } });
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.retry_of, 'api-halfway');
    assert.equal(retried.body.recipients, c.failed);
    const done = await finished(stack, 'api-halfway-retry');
    assert.deepEqual(done.body.recipients.map((r) => r.recipient_id), ['tenant-00002']);
    assert.equal(done.body.recipients[0].error.type, 'DASHBOARD_ACCESS_DENIED');
    const runs = await callApi(stack, 'GET', '/exports');
    assert.deepEqual(runs.body.runs.map((r) => r.run_id), ['api-halfway-retry', 'api-halfway']);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
  });
});
