// The local end-to-end run behind `make run` / scripts/run-local: one export
// request through the real ASL, the real Lambda binaries, quicksight-sim and
// a local S3 server. Prints progress while it runs, then where the manifest
// and the snapshots are.
//
//   node tests/statemachine/local-run.mjs [--request FILE] [--job-seconds S] [-- SIM FLAGS...]

import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import {
  ROOT,
  HISTORY_EVENT_LIMIT,
  PAYLOAD_LIMIT_BYTES,
  startStack,
  runExecution,
  getObject,
  listKeys,
  parseS3Uri,
} from './harness.mjs';

function parseArgs(argv) {
  const args = { request: join(ROOT, 'examples', 'export-request.json'), jobSeconds: 5, simFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.simFlags = argv.slice(i + 1);
      break;
    } else if (a === '--request') args.request = argv[++i];
    else if (a === '--job-seconds') args.jobSeconds = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: scripts/run-local [--request FILE] [--job-seconds S] [-- quicksight-sim flags]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const request = JSON.parse(readFileSync(args.request, 'utf8'));
const bucket = request.destination?.bucket ?? 'quicksight-exports-local';
const workDir = join(ROOT, '.local-run');
const logDir = join(workDir, 'logs');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });

const jobMs = Math.round(args.jobSeconds * 1000);
// Real jobs take minutes; here seconds. Polling is scaled the same way.
const settings = {
  MAX_CONCURRENT_JOBS: '12',
  FIRST_POLL_SECONDS: String(Math.max(1, Math.round(args.jobSeconds))),
  POLL_INTERVAL_SECONDS: '1',
  JOB_TIMEOUT_SECONDS: '600',
};
// Jobs end a little before the first check, as a well-set FirstPollSeconds does.
const simFlags = ['--job-duration-ms', String(Math.max(100, jobMs - 300)), '--queued-ms', String(Math.round(jobMs / 10)), ...args.simFlags];

console.log(`Starting the local S3 server, quicksight-sim (${simFlags.join(' ')}) and the functions...`);
const stack = await startStack({ logDir, bucket, simFlags, settings });
let exitCode = 0;
try {
  const recipients = request.recipients?.length ?? 0;
  console.log(`Running the state machine for ${recipients} recipients (logs in ${relative(ROOT, logDir)}/)`);
  let lastLine = '';
  let progress = { started: 0, finished: 0, active: 0 };
  const ticker = setInterval(async () => {
    const stats = await stack.quicksight.stats().catch(() => null);
    if (!stats) return;
    const line =
      `  ${String(progress.finished).padStart(3)}/${recipients} recipients done, ${progress.active} in progress | ` +
      `QuickSight: ${stats.running_now} jobs running, ${stats.jobs_completed} completed, ${stats.jobs_failed} failed, ` +
      `${stats.throttled} calls throttled, ${stats.limit_exceeded} starts over the job cap`;
    if (line !== lastLine) console.log(line);
    lastLine = line;
  }, 1000);
  const run = await runExecution({
    functionsBase: stack.functions.base,
    input: request,
    executionName: `local-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`,
    onProgress: (p) => (progress = p),
  });
  clearInterval(ticker);

  if (run.failure) {
    console.log(`\nThe execution failed: ${run.failure.name}`);
    console.log(String(run.failure.cause?.Cause ?? run.failure.message));
    exitCode = 1;
  } else {
    const summary = run.output;
    const { key } = parseS3Uri(summary.manifest_uri);
    const manifest = JSON.parse((await getObject(stack.s3.endpoint, bucket, key)).toString());
    const stats = await stack.quicksight.stats();
    const waves = Math.ceil(recipients / Number(settings.MAX_CONCURRENT_JOBS));
    const c = summary.counts;
    console.log(`\nDone in ${run.seconds.toFixed(1)} s (lower bound ceil(${recipients}/12) x job = ${waves} x ${args.jobSeconds} s = ${waves * args.jobSeconds} s)`);
    console.log(`  recipients: ${c.recipients}, completed: ${c.completed} (with file errors: ${c.completed_with_file_errors}), failed: ${c.failed}, files: ${c.files}`);
    for (const entry of manifest.recipients.filter((e) => e.status === 'failed' || e.files.some((f) => f.errors?.length))) {
      const problem = entry.error ?? entry.files.flatMap((f) => f.errors ?? [])[0];
      console.log(`    ${entry.recipient_id}: ${entry.status}, ${problem.type}: ${problem.message}`);
    }
    console.log(`  QuickSight calls: ${stats.calls} (${(stats.calls / Math.max(1, recipients)).toFixed(1)} per recipient), throttled: ${stats.throttled}, over the job cap: ${stats.limit_exceeded}, most jobs running at once: ${stats.max_running}`);
    const pr = run.perRecipient;
    console.log(`  Step Functions: ${pr.transitionsPerRecipient.toFixed(1)} transitions and ~${pr.historyEventsPerRecipient.toFixed(0)} history events per recipient (history limit ${HISTORY_EVENT_LIMIT} events); Map output ${(run.mapOutputBytes / 1024).toFixed(1)} KiB of the ${PAYLOAD_LIMIT_BYTES / 1024} KiB payload limit`);

    // The local S3 server keeps objects in memory: copy the run to disk.
    const runPrefix = dirname(key);
    const keys = await listKeys(stack.s3.endpoint, bucket, runPrefix + '/');
    const mirror = join(workDir, 's3', bucket);
    for (const k of keys) {
      const path = join(mirror, k);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await getObject(stack.s3.endpoint, bucket, k));
    }
    console.log(`\nManifest:  ${summary.manifest_uri}`);
    console.log(`           -> ${relative(ROOT, join(mirror, key))}`);
    console.log(`Snapshots: s3://${bucket}/${runPrefix}/<recipient>/ (${keys.length - 1} files)`);
    console.log(`           -> ${relative(ROOT, join(mirror, runPrefix))}/`);
    if (c.failed > 0) exitCode = 2;
  }
} finally {
  await stack.stop();
}
process.exit(exitCode);
