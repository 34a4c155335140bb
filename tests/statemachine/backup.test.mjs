// Asset bundle backups, end to end on the local stack: the same state
// machine and functions as the snapshots, the second job kind. Bundles run
// five at a time through the account-wide semaphore, each DownloadUrl is
// fresh from a describe right before the download (an expired one is
// described again), and a failed export keeps every error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, startStack, slotState } from '../../tools/local-stack/stack.mjs';
import { submitRun, waitForRun } from '../../tools/local-stack/runs.mjs';

const BUCKET = 'quicksight-exports-local';
const ACCOUNT = '123456789012';
const LOG_ROOT = join(ROOT, 'target', 'statemachine-tests');
const arn = (kind, id) => `arn:aws:quicksight:us-east-1:${ACCOUNT}:${kind}/${id}`;

async function withStack(name, simFlags, body) {
  const stack = await startStack({
    logDir: join(LOG_ROOT, name),
    bucket: BUCKET,
    simFlags: ['--job-duration-ms', '2700', '--queued-ms', '100', ...simFlags],
    settings: {
      MAX_CONCURRENT_JOBS: '12',
      SLOT_CAP: '12',
      ASSET_BUNDLE_SLOT_CAP: '5',
      FIRST_POLL_SECONDS: '3',
      POLL_INTERVAL_SECONDS: '1',
      JOB_TIMEOUT_SECONDS: '600',
    },
  });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

function backupRequest(fields) {
  return {
    kind: 'asset_bundle_backup',
    description: 'nightly',
    account_id: ACCOUNT,
    region: 'us-east-1',
    destination: { bucket: BUCKET, prefix: 'backups', region: 'us-east-1' },
    ...fields,
  };
}

async function runBackup(stack, request, name) {
  const submitted = await submitRun(stack, { request, name });
  const result = await waitForRun(stack, submitted);
  assert.equal(result.status, 'SUCCEEDED', result.cause);
  const manifest = await stack.s3.getJson(BUCKET, result.output.manifest_uri.replace(`s3://${BUCKET}/`, ''));
  return { result, manifest };
}

test('a backup of 13 resources in 7 bundles: five at a time, expired URLs refreshed, each bundle stored with its size and checksum, a failed export with its errors', async () => {
  const dashboards = Array.from({ length: 12 }, (_, i) => `d${i + 1}`);
  // Every bundle's first two DownloadUrls are stale: the check's, and the
  // fetch's first, which it must describe again to replace.
  const simFlags = ['--dashboards', dashboards.join(','), '--stale-bundle-urls', '2'];
  await withStack('backup', simFlags, async (stack) => {
    const resources = [...dashboards.map((d) => arn('dashboard', d)), arn('dashboard', 'missing')];
    const request = backupRequest({ resource_arns: resources, bundle_size: 2, include_all_dependencies: true });
    const { manifest } = await runBackup(stack, request, 'nightly-1');

    assert.equal(manifest.kind, 'asset_bundle_export');
    assert.deepEqual(
      { recipients: manifest.counts.recipients, completed: manifest.counts.completed, failed: manifest.counts.failed, files: manifest.counts.files },
      { recipients: 7, completed: 6, failed: 1, files: 6 },
    );
    for (const entry of manifest.recipients.filter((e) => e.status === 'completed')) {
      const { bundle } = entry;
      const key = bundle.s3_uri.replace(`s3://${BUCKET}/`, '');
      assert.ok(key.startsWith('runs/backups/nightly-1/files/') && key.endsWith('.qs'), key);
      const body = await stack.s3.get(BUCKET, key);
      assert.equal(bundle.bytes, body.length, entry.recipient_id);
      assert.equal(bundle.sha256, createHash('sha256').update(body).digest('hex'), entry.recipient_id);
      assert.equal(body.subarray(0, 2).toString(), 'PK', 'a zip');
      // 2: the fetch's first URL was stale and described again. 1 when a
      // check or fetch ran twice (a retried invocation on a loaded machine,
      // as Lambda may deliver twice) and used up the stale URLs first.
      assert.ok([1, 2].includes(bundle.download_attempts), `${entry.recipient_id}: ${bundle.download_attempts} download attempts`);
      assert.equal(bundle.resource_arns.length, 2);
    }
    const completed = manifest.recipients.filter((e) => e.status === 'completed');
    assert.ok(completed.some((e) => e.bundle.download_attempts === 2), 'a stale URL was described again');
    // The bundle with the missing dashboard: failed, every error kept.
    const failed = manifest.recipients.find((e) => e.status === 'failed');
    assert.equal(failed.recipient_id, 'bundle-0007');
    assert.equal(failed.error.type, 'ASSET_BUNDLE_EXPORT_FAILED');
    assert.deepEqual(failed.issues.map((i) => i.arn), [arn('dashboard', 'missing')]);
    assert.match(failed.issues[0].type, /ResourceNotFoundException/);

    const stats = await stack.quicksight.stats();
    assert.equal(stats.bundle_exports_started, 7);
    assert.ok(stats.bundle_exports_max_running <= 5, `never more than 5 bundles at once, saw ${stats.bundle_exports_max_running}`);
    assert.equal(stats.bundle_exports_max_running, 5, 'the five slots were used');
    assert.equal(stats.limit_exceeded, 0, 'the semaphore, not QuickSight, kept it at five');
    assert.ok(stats.bundle_urls_expired >= 6, `each bundle met an expired URL: ${stats.bundle_urls_expired}`);
    assert.equal(stats.bundle_downloads, 6);
    const slots = await slotState(stack, 'asset-bundle');
    assert.deepEqual([slots.leases.length, slots.waiters.length], [0, 0]);
    // Announced like snapshots: one outcome event each, with a link for each bundle.
    const events = await stack.events.published();
    const outcomes = events.filter((e) => e['detail-type'] === 'Export Recipient Outcome');
    assert.equal(outcomes.length, 7);
    assert.equal(outcomes.flatMap((e) => e.detail.outcome.files.flatMap((f) => f.download_urls)).length, 6);
  });
});

test('a backup of every dashboard pages through ListDashboards; a bad backup request names its fields and starts nothing', async () => {
  const dashboards = Array.from({ length: 5 }, (_, i) => `team-${i + 1}`);
  await withStack('backup-all', ['--dashboards', dashboards.join(',')], async (stack) => {
    const { manifest } = await runBackup(stack, backupRequest({ all_dashboards: true, bundle_size: 2, export_format: 'CLOUDFORMATION_JSON' }), 'all-1');
    assert.equal(manifest.counts.recipients, 3);
    assert.equal(manifest.counts.completed, 3);
    const backedUp = manifest.recipients.flatMap((e) => e.bundle.resource_arns);
    assert.deepEqual(backedUp, dashboards.map((d) => arn('dashboard', d)));
    assert.ok(manifest.recipients.every((e) => e.bundle.s3_uri.endsWith('.json')));

    const bad = backupRequest({ resource_arns: ['arn:aws:s3:::bucket/key'], bundle_size: 0 });
    const submitted = await submitRun(stack, { request: bad, name: 'bad-1' });
    const result = await waitForRun(stack, submitted);
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'Export.InvalidRequest');
    assert.match(result.cause, /resource_arns\[0\]/);
    assert.match(result.cause, /bundle_size/);
    const stats = await stack.quicksight.stats();
    assert.equal(stats.bundle_exports_started, 3, 'nothing started for the bad request');
  });
});
