// The local end-to-end run behind `make run` / scripts/run-local: stores
// export requests in the local bucket, starts the real state machine on
// each in the local engine (several at once with --runs), and reports what
// happened, what it cost against QuickSight's and AWS's limits, and whether
// any tag or parameter value leaked.
//
//   node tools/local-stack/local-run.mjs [--request FILE | --recipients N] [--runs M]
//        [--job-seconds S] [--stop-after K] [--via-api] [-- quicksight-sim flags...]
//
// With --via-api every step a caller takes goes through the HTTP API (the
// `api` function under cargo lambda's emulator, called with SigV4-signed curl):
// submit, progress, cancel (--stop-after), list and inspect.

import { mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { ROOT, startStack, slotState } from './stack.mjs';
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
  callsPerJob,
  idleSlotSampler,
} from './runs.mjs';
import { syntheticRequest, secretsOf } from './requests.mjs';
import { callApi, apiBase } from './api-client.mjs';

const USAGE = `usage: scripts/run-local [--request FILE | --recipients N] [--runs M] [--job-seconds S] [--stop-after K] [--via-api] [-- quicksight-sim flags]

  --request FILE    the export request to run (default: examples/export-request.json)
  --recipients N    run a generated request of N recipients instead, each with tag values of its own
  --runs M          start M requests at once (each its own execution, sharing the account's limits)
  --job-seconds S   simulated job duration (default 5)
  --stop-after K    stop the first execution once K outcomes are recorded, then write its manifest
                    again from the outcomes, as docs/request.md, "Writing a manifest again", describes
                    (with --via-api: cancel it through DELETE /exports/{id} instead)
  --via-api         submit, follow, cancel, list and inspect through the HTTP API, as a caller
                    of a deployed stack does (docs/api.md)
  -- FLAGS          passed to quicksight-sim, for example --fail-job acme=DASHBOARD_ACCESS_DENIED`;

/** A real job's duration, minutes (the scale the overheads are projected to). */
const LONG_JOB_SECONDS = 300;

/**
 * Where a run's time beyond ceil(N/cap) x T goes, from the functions'
 * invocation times: before the first start-job, after the last outcome
 * (fetch-result or record-failure) and, between them, per wave. `ratioAt(t)`
 * is the ratio the same overheads would give with jobs of t seconds.
 */
function overheadOf(invocations, { began, makespan, waves, jobSeconds }) {
  const starts = invocations.filter((i) => i.name === 'start-job').map((i) => i.at);
  const outcomes = invocations.filter((i) => ['fetch-result', 'record-failure'].includes(i.name) && !i.functionError).map((i) => i.at + i.ms);
  if (!starts.length || !outcomes.length) return null;
  const leadIn = (Math.min(...starts) - began) / 1000;
  const leadOut = (began + makespan * 1000 - Math.max(...outcomes)) / 1000;
  const perWave = (makespan - leadIn - leadOut) / waves - jobSeconds;
  return { leadIn, leadOut, perWave, ratioAt: (t) => (leadIn + leadOut + waves * (t + perWave)) / (waves * t) };
}

function parseArgs(argv) {
  const args = { request: join(ROOT, 'examples', 'export-request.json'), recipients: null, runs: 1, jobSeconds: 5, stopAfter: null, viaApi: false, simFlags: [] };
  const number = (flag, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      console.error(`${flag} needs a positive number, got ${value}\n\n${USAGE}`);
      process.exit(64);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.simFlags = argv.slice(i + 1);
      break;
    } else if (a === '--request') args.request = argv[++i];
    else if (a === '--recipients') args.recipients = Math.floor(number(a, argv[++i]));
    else if (a === '--runs') args.runs = Math.floor(number(a, argv[++i]));
    else if (a === '--job-seconds') args.jobSeconds = number(a, argv[++i]);
    else if (a === '--stop-after') args.stopAfter = Math.floor(number(a, argv[++i]));
    else if (a === '--via-api') args.viaApi = true;
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
// Each run a request of its own: generated ones with tag values of their own.
const requests = Array.from({ length: args.runs }, () => (args.recipients ? syntheticRequest(example, args.recipients) : example));
const bucket = example.destination?.bucket ?? 'quicksight-exports-local';
// A backup request's items are its bundles; they run 5 at a time.
const isBackup = example.kind === 'asset_bundle_backup';
const itemsOf = (r) => (isBackup ? Math.ceil((r.resource_arns?.length ?? 0) / (r.bundle_size ?? 20)) : (r.recipients?.length ?? 0));
const total = requests.reduce((n, r) => n + itemsOf(r), 0);
const workDir = join(ROOT, '.local-run');
const logDir = join(workDir, 'logs');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });

const jobMs = Math.round(args.jobSeconds * 1000);
const cap = isBackup ? 5 : 12;
// Real jobs take minutes; here seconds. Polling is scaled the same way.
const settings = {
  MAX_CONCURRENT_JOBS: '12',
  SLOT_CAP: '12',
  ASSET_BUNDLE_SLOT_CAP: '5',
  FIRST_POLL_SECONDS: String(Math.max(1, Math.round(args.jobSeconds))),
  POLL_INTERVAL_SECONDS: '1',
  JOB_TIMEOUT_SECONDS: '600',
};
// Jobs (with their files written) end a little before a whole second, so
// the first check, at whole seconds, finds them done.
const simFlags = ['--job-duration-ms', String(Math.max(100, jobMs - 300)), '--queued-ms', String(Math.round(jobMs / 10)), ...args.simFlags];

console.log(`Starting the local engine (moto), quicksight-sim (${simFlags.join(' ')}) and the functions...`);
const stack = await startStack({ logDir, bucket, simFlags, settings });
console.log(`Stack started in ${(stack.startMs / 1000).toFixed(1)} s (the functions: the built binaries, ${stack.concurrency} instances each, under cargo lambda's emulator)`);
let exitCode = 0;
try {
  const stamp = executionName('local');
  const runs = [];
  for (const [i, request] of requests.entries()) {
    const name = args.runs > 1 ? `${stamp}-${i + 1}` : stamp;
    runs.push(args.viaApi ? await submitThroughApi(stack, request, name) : await submitRun(stack, { request, name }));
  }
  console.log(
    `Stored ${runs.length} request(s) under s3://${bucket}/requests/; execution(s) ${runs.map((r) => r.name).join(', ')} started for ${total} recipients (logs in ${relative(ROOT, logDir)}/)`,
  );
  const began = Date.now();
  const idle = idleSlotSampler(stack, { cap, recipients: total });
  let lastLine = '';
  let stopped = false;
  let cancelled = null;
  const ticker = setInterval(async () => {
    const recorded = outcomesRecorded(stack.invocations);
    if (args.stopAfter && !stopped && recorded >= args.stopAfter) {
      stopped = true;
      if (args.viaApi) {
        console.log(`  ${recorded} outcomes recorded: DELETE /exports/${runs[0].name}`);
        // Awaited before the runs are reported: the cancel records the
        // recipients never reached and writes the manifest.
        cancelled = callApi(stack, 'DELETE', `/exports/${runs[0].name}`).then(({ status, body }) => {
          console.log(`    ${status} ${JSON.stringify(body)}`);
          return body;
        });
      } else {
        console.log(`  ${recorded} outcomes recorded: stopping ${runs[0].name}`);
        await stack.sfn('StopExecution', { executionArn: runs[0].executionArn, error: 'LocalRun.Stopped', cause: '--stop-after' });
      }
    }
    const stats = await stack.quicksight.stats().catch(() => null);
    if (!stats) return;
    const line =
      `  ${String(recorded).padStart(5)}/${total} outcomes recorded | QuickSight: ${stats.running_now} jobs running, ` +
      `${stats.jobs_completed} completed, ${stats.jobs_failed} failed, ${stats.throttled} calls throttled, ${stats.limit_exceeded} over the job cap`;
    if (line !== lastLine) console.log(line);
    lastLine = line;
  }, 1000);
  // However long the jobs, a run that has not ended after four times its
  // bound, twice the time its calls take at the budget's default 8 a second
  // (3 per job), and at least half an hour, is reported, not waited for.
  const timeoutMs = Math.max(30 * 60, 4 * Math.ceil(total / cap) * args.jobSeconds, (2 * 3 * total) / 8) * 1000;
  const results = await Promise.all(runs.map((run) => waitForRun(stack, run, { timeoutMs })));
  clearInterval(ticker);
  await cancelled;
  const idleSlotSeconds = idle.stop();
  const makespan = (Date.now() - began) / 1000;

  const scanned = { events: 0, hits: [] };
  for (const [i, run] of runs.entries()) {
    const result = results[i];
    console.log(`\n${run.name}: ${result.status} in ${result.seconds.toFixed(1)} s${result.error ? ` (${result.error})` : ''}`);
    if (result.status !== 'SUCCEEDED' && result.cause) console.log(`  ${result.cause}`);
    if (result.status !== 'SUCCEEDED' && !(stopped && i === 0)) exitCode = 1;
    const parentEvents = await historyOf(stack, run.executionArn);
    const prepared = preparedRunOf(parentEvents);
    let manifestUri = result.output?.manifest_uri;
    if (['FAILED', 'TIMED_OUT', 'ABORTED'].includes(result.status)) {
      // What the template's EventBridge rules do for such an execution
      // (moto emits no EventBridge events): the reaper frees its slots,
      // and a run cancelled through the API is finished by finish-cancel.
      const event = {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn: run.executionArn, stateMachineArn: stack.stateMachineArn, name: run.name, status: result.status },
      };
      const reaped = await invokeFunction(stack, 'reap-slots', event);
      console.log(`  reap-slots (as the EventBridge rule runs it): ${reaped.leases} leases and ${reaped.waiters} waiters freed, ${reaped.handed_over} slots handed over`);
      if (result.status === 'ABORTED') {
        const finish = await invokeFunction(stack, 'finish-cancel', event);
        if (finish.finished) {
          console.log(`  finish-cancel (as the EventBridge rule runs it): ${finish.finished.cancelled} recipients recorded as cancelled, manifest written`);
          manifestUri = finish.finished.manifest_uri;
        }
      }
    }
    if (prepared && !manifestUri) {
      // A stopped or failed run: the manifest is written again from the
      // outcome objects, exactly as docs/request.md, "Writing a manifest again", says.
      console.log(`  writing the manifest again from the outcomes: invoke write-manifest with {"bucket": "${bucket}", "run_prefix": "${prepared.run_prefix}"}`);
      manifestUri = (await invokeFunction(stack, 'write-manifest', { bucket, run_prefix: prepared.run_prefix })).manifest_uri;
    }
    if (manifestUri) {
      const manifest = await stack.s3.getJson(bucket, manifestUri.replace(`s3://${bucket}/`, ''));
      const c = manifest.counts;
      console.log(`  recipients: ${c.recipients}, completed: ${c.completed} (with file errors: ${c.completed_with_file_errors}), failed: ${c.failed}, cancelled: ${c.cancelled}, no outcome: ${c.missing}, files: ${c.files}`);
      const problems = manifest.recipients.filter((e) => e.status === 'failed' || e.files.some((f) => f.errors?.length));
      for (const entry of problems.slice(0, 10)) {
        const problem = entry.error ?? entry.files.flatMap((f) => f.errors ?? [])[0];
        console.log(`    ${entry.recipient_id}: ${entry.status}, ${problem.type}: ${problem.message}`);
      }
      if (problems.length > 10) console.log(`    ... and ${problems.length - 10} more in the manifest`);
      for (const entry of manifest.recipients.filter((e) => e.bundle).slice(0, 5)) {
        const b = entry.bundle;
        console.log(`    ${entry.recipient_id}: ${b.resource_arns.length} resources -> ${b.s3_uri} (${b.bytes} bytes, sha256 ${b.sha256.slice(0, 16)}..., ${b.download_attempts} download URL(s))`);
      }
      if (c.failed > c.missing || (c.missing > 0 && !(stopped && i === 0))) exitCode ||= 2;
      console.log(`  manifest: ${manifestUri}`);
    }
    if (prepared) {
      const calls = callsPerJob(stack.invocations, prepared.run_id);
      console.log(`  QuickSight calls per job (by the functions that make them): median ${calls.median}, mean ${calls.mean.toFixed(2)}, max ${calls.max}`);
    }
    const children = childHistories(stack).filter((c) => c.mapRun.startsWith(`${run.name}--`));
    for (const line of describeFigures(executionFigures(parentEvents, children))) console.log(`  ${line}`);

    // The leak scan: every history event, payload, log and JSON object of the run.
    const objects = [];
    for (const k of prepared ? await stack.s3.list(bucket, `${prepared.run_prefix}/`) : []) {
      if (k.endsWith('.json')) objects.push({ where: `s3://${bucket}/${k}`, text: (await stack.s3.get(bucket, k)).toString() });
    }
    const hits = findSecrets(secretsOf(requests[i]), { parentEvents, children, invocations: [], objects });
    scanned.events += parentEvents.length + children.reduce((n, c) => n + c.events.length, 0);
    scanned.hits.push(...hits);
    // moto keeps objects in memory: copy the run to disk before it stops.
    if (prepared) {
      const mirror = join(workDir, 's3', bucket);
      const keys = await stack.s3.list(bucket, `${prepared.run_prefix}/`);
      for (const k of keys) {
        const path = join(mirror, k);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, await stack.s3.get(bucket, k));
      }
      console.log(`  ${keys.length} objects -> ${relative(ROOT, join(mirror, prepared.run_prefix))}/ (outcomes/, files/<recipient>/, run.json, recipients.json, manifest.json)`);
    }
  }

  if (args.viaApi) await reportThroughApi(stack, runs);
  const published = await stack.events.published();
  const byType = {};
  for (const e of published) byType[e['detail-type']] = (byType[e['detail-type']] ?? 0) + 1;
  const links = published.flatMap((e) => e.detail.outcome?.files ?? []).flatMap((f) => f.download_urls ?? []).length;
  console.log(`\nEvents on the bus (source quicksight-export): ${Object.entries(byType).map(([t, n]) => `${n} "${t}"`).join(', ') || 'none'}; ${links} download links in them`);

  const stats = await stack.quicksight.stats();
  const waves = Math.ceil(total / cap);
  const bound = waves * args.jobSeconds;
  const slots = await slotState(stack, isBackup ? 'asset-bundle' : 'snapshot');
  console.log(`\nAll runs: ${total} recipients in ${makespan.toFixed(1)} s, lower bound ceil(${total}/${cap}) x ${args.jobSeconds} s = ${bound} s (ratio ${(makespan / bound).toFixed(3)})`);
  const overhead = overheadOf(stack.invocations, { began, makespan, waves, jobSeconds: args.jobSeconds });
  if (overhead) {
    console.log(
      `  beyond the bound: ${overhead.leadIn.toFixed(1)} s before the first job started (prepare, Map start), ` +
        `${overhead.perWave.toFixed(2)} s per wave beyond T (poll margin, hand-over, call spacing), ` +
        `${overhead.leadOut.toFixed(1)} s after the last outcome (manifest); ` +
        `the same overheads with ${LONG_JOB_SECONDS / 60}-minute jobs: ratio ${overhead.ratioAt(LONG_JOB_SECONDS).toFixed(3)}`,
    );
  }
  const [started, maxRunning] = isBackup ? [stats.bundle_exports_started, stats.bundle_exports_max_running] : [stats.jobs_started, stats.max_running];
  console.log(
    `  QuickSight: ${stats.calls} calls (${(stats.calls / Math.max(1, started)).toFixed(2)} per job), ${stats.throttled} throttled, ` +
      `${stats.limit_exceeded} over the job cap, at most ${maxRunning} jobs running at once (cap ${cap})` +
      (isBackup ? `; ${stats.bundle_downloads} bundles downloaded, ${stats.bundle_urls_expired} expired URLs met` : ''),
  );
  console.log(
    `  idle slot time while recipients waited to start: ${idleSlotSeconds.toFixed(1)} slot-seconds (${((100 * idleSlotSeconds) / (cap * makespan)).toFixed(1)} % of ${cap} slots x the makespan)`,
  );
  console.log(`  slots left in the table: ${slots.leases.length} leases, ${slots.waiters.length} waiters`);
  const logFiles = readdirSync(logDir).filter((f) => f.endsWith('.log')).map((f) => join(logDir, f));
  const allSecrets = requests.flatMap(secretsOf);
  scanned.hits.push(...findSecrets(allSecrets, { parentEvents: [], children: [], invocations: stack.invocations, logFiles }));
  console.log(
    scanned.hits.length === 0
      ? `  leak scan: none of the requests' ${new Set(allSecrets).size} tag and parameter values appears in ${scanned.events} history events, ${stack.invocations.length} Lambda payloads and answers, the logs or the runs' JSON objects`
      : `  leak scan: ${scanned.hits.length} hits!\n${scanned.hits.slice(0, 20).map((h) => `    ${h}`).join('\n')}`,
  );
  if (scanned.hits.length) exitCode = 3;
  if (slots.leases.length || slots.waiters.length) exitCode ||= 4;
} finally {
  await stack.stop();
}
process.exit(exitCode);

/** POST /exports with the run's name as Idempotency-Key; stops on a refusal. */
async function submitThroughApi(stack, request, name) {
  const { status, body } = await callApi(stack, 'POST', '/exports', { body: request, headers: { 'Idempotency-Key': name } });
  console.log(`POST ${apiBase(stack)}/exports (Idempotency-Key: ${name}): ${status} ${JSON.stringify(body)}`);
  if (status !== 202) {
    await stack.stop();
    process.exit(1);
  }
  const executionArn = `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:${body.run_id}`;
  return { executionArn, name: body.run_id, input: null, startedAt: Date.now() };
}

/** What a caller sees once the runs ended: the list, then each run's first page. */
async function reportThroughApi(stack, runs) {
  const list = await callApi(stack, 'GET', '/exports?limit=10');
  console.log(`\nGET /exports?limit=10: ${list.status}`);
  for (const r of list.body.runs ?? []) console.log(`  ${r.run_id}: ${r.status} (${r.started_at} - ${r.stopped_at ?? ''})`);
  for (const run of runs) {
    const { status, body } = await callApi(stack, 'GET', `/exports/${run.name}?limit=5`);
    const links = (body.recipients ?? []).flatMap((r) => r.files ?? []).flatMap((f) => f.download_urls ?? []);
    console.log(`GET /exports/${run.name}?limit=5: ${status}, ${body.status}, counts ${JSON.stringify(body.counts)}`);
    console.log(`  first page: ${(body.recipients ?? []).map((r) => `${r.recipient_id} ${r.status}`).join(', ')}${body.next_token ? ` (next_token ${body.next_token})` : ''}`);
    if (links.length) console.log(`  ${links.length} download links on it, for example ${links[0].split('?')[0]}?X-Amz-...`);
    if (body.manifest) console.log(`  manifest ${body.manifest.uri}, link ${body.manifest.download_url ? 'made' : 'missing'}`);
  }
}
