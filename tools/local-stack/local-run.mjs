// The local end-to-end run behind `make run` / scripts/run-local: stores an
// export request in the local bucket, starts the real state machine on it in
// the local engine, and reports what happened, what it cost against AWS's
// limits, and whether any tag or parameter value leaked.
//
//   node tools/local-stack/local-run.mjs [--request FILE | --recipients N]
//        [--job-seconds S] [--stop-after K] [-- quicksight-sim flags...]

import { mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { ROOT, startStack } from './stack.mjs';
import {
  submitRun,
  waitForRun,
  historyOf,
  preparedRunOf,
  childHistories,
  executionFigures,
  describeFigures,
  findSecrets,
  outcomesRecorded,
  invokeFunction,
  executionName,
} from './runs.mjs';
import { syntheticRequest, secretsOf } from './requests.mjs';

const USAGE = `usage: scripts/run-local [--request FILE | --recipients N] [--job-seconds S] [--stop-after K] [-- quicksight-sim flags]

  --request FILE    the export request to run (default: examples/export-request.json)
  --recipients N    run a generated request of N recipients instead, each with tag values of its own
  --job-seconds S   simulated job duration (default 5)
  --stop-after K    stop the execution once K outcomes are recorded, then write the manifest again
                    from the outcomes, as README "Writing a manifest again" describes
  -- FLAGS          passed to quicksight-sim, for example --fail-job acme=DASHBOARD_ACCESS_DENIED`;

function parseArgs(argv) {
  const args = { request: join(ROOT, 'examples', 'export-request.json'), recipients: null, jobSeconds: 5, stopAfter: null, simFlags: [] };
  const number = (flag, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.simFlags = argv.slice(i + 1);
      break;
    } else if (a === '--request') args.request = argv[++i];
    else if (a === '--recipients') args.recipients = Math.floor(number(a, argv[++i]));
    else if (a === '--job-seconds') args.jobSeconds = number(a, argv[++i]);
    else if (a === '--stop-after') args.stopAfter = Math.floor(number(a, argv[++i]));
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}\n\n${USAGE}`);
      process.exit(64);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const example = JSON.parse(readFileSync(args.request, 'utf8'));
const request = args.recipients ? syntheticRequest(example, args.recipients) : example;
const bucket = request.destination?.bucket ?? 'quicksight-exports-local';
const recipients = request.recipients?.length ?? 0;
const workDir = join(ROOT, '.local-run');
const logDir = join(workDir, 'logs');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });

const jobMs = Math.round(args.jobSeconds * 1000);
const concurrency = 12;
// Real jobs take minutes; here seconds. Polling is scaled the same way.
const settings = {
  MAX_CONCURRENT_JOBS: String(concurrency),
  FIRST_POLL_SECONDS: String(Math.max(1, Math.round(args.jobSeconds))),
  POLL_INTERVAL_SECONDS: '1',
  JOB_TIMEOUT_SECONDS: '600',
};
// Jobs end a little before the first check, as a well-set FirstPollSeconds does.
const simFlags = ['--job-duration-ms', String(Math.max(100, jobMs - 300)), '--queued-ms', String(Math.round(jobMs / 10)), ...args.simFlags];

console.log(`Starting the local engine (moto), quicksight-sim (${simFlags.join(' ')}) and the functions...`);
const stack = await startStack({ logDir, bucket, simFlags, settings });
let exitCode = 0;
try {
  const run = await submitRun(stack, { request, name: executionName('local') });
  console.log(`Stored the request at s3://${bucket}/${run.input.key}; execution ${run.name} started for ${recipients} recipients (logs in ${relative(ROOT, logDir)}/)`);
  let lastLine = '';
  let stopped = false;
  const result = await waitForRun(stack, run, {
    onTick: async () => {
      const recorded = outcomesRecorded(stack.invocations);
      if (args.stopAfter && !stopped && recorded >= args.stopAfter) {
        stopped = true;
        console.log(`  ${recorded} outcomes recorded: stopping the execution`);
        await stack.sfn('StopExecution', { executionArn: run.executionArn, error: 'LocalRun.Stopped', cause: '--stop-after' });
      }
      const stats = await stack.quicksight.stats().catch(() => null);
      if (!stats) return;
      const line =
        `  ${String(recorded).padStart(5)}/${recipients} outcomes recorded | QuickSight: ${stats.running_now} jobs running, ` +
        `${stats.jobs_completed} completed, ${stats.jobs_failed} failed, ${stats.throttled} calls throttled, ${stats.limit_exceeded} over the job cap`;
      if (line !== lastLine) console.log(line);
      lastLine = line;
    },
  });

  let manifestUri = result.output?.manifest_uri;
  if (result.status === 'SUCCEEDED') {
    console.log(`\nThe execution succeeded in ${result.seconds.toFixed(1)} s.`);
  } else {
    console.log(`\nThe execution ended ${result.status}${result.error ? `: ${result.error}` : ''}${result.cause ? `\n  ${result.cause}` : ''}`);
    exitCode = stopped ? 0 : 1;
  }
  // Where the run's objects are: prepare-run's output in the history.
  const parentEvents = await historyOf(stack, run.executionArn);
  const runPrefix = preparedRunOf(parentEvents)?.run_prefix;
  if (runPrefix !== undefined && !manifestUri) {
    // A stopped or failed run: the manifest is written again from the
    // outcome objects, exactly as README "Writing a manifest again" says.
    console.log(`Writing the manifest again from the outcomes: invoke write-manifest with {"bucket": "${bucket}", "run_prefix": "${runPrefix}"}`);
    const summary = await invokeFunction(stack, 'write-manifest', { bucket, run_prefix: runPrefix });
    manifestUri = summary.manifest_uri;
  }

  const stats = await stack.quicksight.stats();
  const waves = Math.ceil(recipients / concurrency);
  const bound = waves * args.jobSeconds;
  console.log(`  makespan ${result.seconds.toFixed(1)} s, lower bound ceil(${recipients}/${concurrency}) x ${args.jobSeconds} s = ${bound} s (ratio ${(result.seconds / bound).toFixed(2)})`);
  if (manifestUri) {
    const { key } = { key: manifestUri.replace(`s3://${bucket}/`, '') };
    const manifest = await stack.s3.getJson(bucket, key);
    const c = manifest.counts;
    console.log(`  recipients: ${c.recipients}, completed: ${c.completed} (with file errors: ${c.completed_with_file_errors}), failed: ${c.failed} (no outcome: ${c.missing}), files: ${c.files}`);
    const problems = manifest.recipients.filter((e) => e.status === 'failed' || e.files.some((f) => f.errors?.length));
    for (const entry of problems.slice(0, 20)) {
      const problem = entry.error ?? entry.files.flatMap((f) => f.errors ?? [])[0];
      console.log(`    ${entry.recipient_id}: ${entry.status}, ${problem.type}: ${problem.message}`);
    }
    if (problems.length > 20) console.log(`    ... and ${problems.length - 20} more in the manifest`);
    const assembled = stack.invocations.filter((i) => i.name === 'write-manifest' && !i.functionError).at(-1);
    if (assembled) console.log(`  manifest assembled from ${c.recipients} outcome objects in ${(assembled.ms / 1000).toFixed(2)} s`);
    if (c.failed > c.missing || (c.missing > 0 && !stopped)) exitCode ||= 2;
  }
  console.log(
    `  QuickSight: ${stats.calls} calls (${(stats.calls / Math.max(1, stats.jobs_started)).toFixed(1)} per job), ${stats.throttled} throttled, ` +
      `${stats.limit_exceeded} over the job cap, at most ${stats.max_running} jobs running at once`,
  );

  // What AWS would bound, and the leak scan, over everything the run wrote.
  const children = childHistories(stack);
  for (const line of describeFigures(executionFigures(parentEvents, children))) console.log(`  ${line}`);
  const secrets = secretsOf(request);
  const logFiles = readdirSync(logDir).filter((f) => f.endsWith('.log')).map((f) => join(logDir, f));
  const objects = [];
  for (const k of runPrefix !== undefined ? await stack.s3.list(bucket, `${runPrefix}/`) : []) {
    if (k.endsWith('.json')) objects.push({ where: `s3://${bucket}/${k}`, text: (await stack.s3.get(bucket, k)).toString() });
  }
  const hits = findSecrets(secrets, { parentEvents, children, invocations: stack.invocations, logFiles, objects });
  console.log(
    hits.length === 0
      ? `  leak scan: none of the request's ${secrets.length} tag and parameter values appears in ${parentEvents.length + children.reduce((n, c) => n + c.events.length, 0)} history events, ${stack.invocations.length} Lambda payloads and answers, the logs or the run's JSON objects`
      : `  leak scan: ${hits.length} hits!\n${hits.slice(0, 20).map((h) => `    ${h}`).join('\n')}`,
  );
  if (hits.length) exitCode = 3;

  // moto keeps objects in memory: copy the run to disk before it stops.
  if (runPrefix !== undefined) {
    const keys = await stack.s3.list(bucket, `${runPrefix}/`);
    const mirror = join(workDir, 's3', bucket);
    for (const k of keys) {
      const path = join(mirror, k);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await stack.s3.get(bucket, k));
    }
    console.log(`\nManifest:  ${manifestUri}`);
    console.log(`           -> ${relative(ROOT, join(mirror, runPrefix, 'manifest.json'))}`);
    console.log(`Run:       s3://${bucket}/${runPrefix}/ (${keys.length} objects: outcomes/, files/<recipient>/, run.json, recipients.json)`);
    console.log(`           -> ${relative(ROOT, join(mirror, runPrefix))}/`);
  }
} finally {
  await stack.stop();
}
process.exit(exitCode);
