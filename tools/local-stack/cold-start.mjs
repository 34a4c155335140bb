// Each function's release binary: its size and its cold start, process
// start to first answer, as Lambda's provided.al2023 runtime starts it.
// A small run on the local stack (4 recipients: one job fails, one cannot be described, so record-failure runs too) gives one real
// event per function; each binary is then started afresh, `--samples`
// times, under a stand-in of the Lambda Runtime API that hands it that
// event, with the stack's environment (moto, quicksight-sim). Init is the
// time to its first `next` request, the answer the time to its response or
// error post. Figures, not a pass/fail test (scripts/benchmark prints them).
//
//   node tools/local-stack/cold-start.mjs [--samples N] [--binaries DIR]
//
// Needs the release build of the functions (cargo build --release) in DIR
// (default target/release) besides the debug build the stack runs.

import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startStack, freePort, functionNames } from './stack.mjs';
import { submitRun, waitForRun, executionName } from './runs.mjs';
import { syntheticRequest } from './requests.mjs';

function parseArgs(argv) {
  const args = { samples: 5, binaries: join(ROOT, 'target', 'release') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--samples') args.samples = Number(argv[++i]);
    else if (argv[i] === '--binaries') args.binaries = argv[++i];
    else {
      console.error('usage: node tools/local-stack/cold-start.mjs [--samples N] [--binaries DIR]');
      process.exit(64);
    }
  }
  if (!Number.isInteger(args.samples) || args.samples < 1) {
    console.error('--samples needs a positive whole number');
    process.exit(64);
  }
  return args;
}

/** An API Gateway REST proxy event, as the deployed ExportApi sends it. */
function apiEvent(runId) {
  const path = `/exports/${runId}`;
  return {
    resource: '/exports/{id}',
    path,
    httpMethod: 'GET',
    headers: { Host: 'local.execute-api.us-east-1.amazonaws.com' },
    multiValueHeaders: { Host: ['local.execute-api.us-east-1.amazonaws.com'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { id: runId },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      resourceId: 'local',
      stage: 'v1',
      requestId: 'cold-start',
      identity: { sourceIp: '127.0.0.1' },
      resourcePath: '/exports/{id}',
      httpMethod: 'GET',
      apiId: 'local',
      path: `/v1${path}`,
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
    },
    body: null,
    isBase64Encoded: false,
  };
}

/**
 * One event per function: the first the engine sent that was answered
 * without a function error, the healthy recipient's where there is one
 * (a replayed start of tenant-00004 describes its job, which is denied).
 */
function eventsFrom(invocations, run) {
  const events = new Map();
  const answered = invocations.filter((inv) => !inv.functionError);
  const healthy = answered.filter((inv) => inv.payload.toString().includes('tenant-00001'));
  for (const inv of [...healthy, ...answered]) {
    if (!events.has(inv.name)) events.set(inv.name, JSON.parse(inv.payload.toString()));
  }
  events.set('api', apiEvent(run.name));
  // What EventBridge sends reap-slots when an execution stops.
  events.set('reap-slots', {
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: { executionArn: run.executionArn, status: 'ABORTED' },
  });
  return events;
}

/**
 * Starts `binary` under a one-event Runtime API; resolves to
 * { initMs, answerMs, answer } once it answers (or fails at init).
 */
async function coldStart(binary, name, event, env) {
  const port = await freePort();
  let started;
  let initMs = null;
  let served = false;
  let settle;
  const done = new Promise((resolve) => (settle = resolve));
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (req.method === 'GET' && req.url.endsWith('/runtime/invocation/next')) {
        if (served) return; // the next event never comes: the process is stopped first
        served = true;
        initMs = elapsed();
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': 'cold-start-1',
          'lambda-runtime-deadline-ms': String(Date.now() + 65_000),
          'lambda-runtime-invoked-function-arn': `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
          'lambda-runtime-trace-id': 'Root=1-00000000-000000000000000000000000',
        });
        res.end(JSON.stringify(event));
        return;
      }
      const answerMs = elapsed();
      res.writeHead(202).end('{}');
      if (req.url.endsWith('/response')) settle({ initMs, answerMs, answer: 'response' });
      else {
        let type = 'unknown';
        try {
          type = JSON.parse(body).errorType;
        } catch {}
        settle({ initMs, answerMs, answer: req.url.includes('/init/') ? `init error ${type}` : `error ${type}` });
      }
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  started = process.hrtime.bigint();
  const child = spawn(binary, [], {
    stdio: 'ignore',
    env: {
      ...env,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: 'cold-start',
      RUST_LOG: 'warn',
    },
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ initMs, answerMs: elapsed(), answer: `exited ${code}` })));
  const timeout = new Promise((resolve) => setTimeout(() => resolve({ initMs, answerMs: elapsed(), answer: 'no answer in 30 s' }), 30_000));
  const result = await Promise.race([done, exited, timeout]);
  child.kill('SIGKILL');
  server.closeAllConnections();
  server.close();
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const args = parseArgs(process.argv.slice(2));
const names = functionNames();
const missing = names.filter((n) => !existsSync(join(args.binaries, n)));
if (missing.length) {
  console.error(`no release binary for ${missing.join(', ')} in ${args.binaries}: cargo build --release first`);
  process.exit(1);
}

const logDir = join(ROOT, '.local-run', 'cold-start');
const base = JSON.parse(readFileSync(join(ROOT, 'examples', 'export-request.json'), 'utf8'));
const stack = await startStack({
  logDir,
  bucket: base.destination.bucket,
  simFlags: ['--job-duration-ms', '700', '--queued-ms', '100', '--fail-job', 'tenant-00003=DASHBOARD_ACCESS_DENIED', '--deny-describe', 'tenant-00004'],
  settings: { SLOT_CAP: '12', FIRST_POLL_SECONDS: '1', POLL_INTERVAL_SECONDS: '1', JOB_TIMEOUT_SECONDS: '120' },
});
let exitCode = 0;
try {
  const run = await submitRun(stack, { request: syntheticRequest(base, 4), name: executionName('cold-start') });
  const finished = await waitForRun(stack, run);
  if (finished.status !== 'SUCCEEDED') throw new Error(`the sample run ended ${finished.status} (${finished.error}: ${finished.cause}); see ${logDir}`);
  const events = eventsFrom(stack.invocations, run);
  console.log(`Release binaries in ${args.binaries}; ${args.samples} cold start(s) each, events from run ${run.name}`);
  console.log(`${'function'.padEnd(16)} ${'size'.padStart(9)} ${'init'.padStart(9)} ${'answer'.padStart(9)} ${'max'.padStart(9)}  first answer`);
  for (const name of names) {
    const event = events.get(name);
    const size = statSync(join(args.binaries, name)).size / (1024 * 1024);
    if (!event) {
      console.log(`${name.padEnd(16)} ${size.toFixed(1).padStart(6)} MiB  (the sample run did not invoke it)`);
      exitCode = 1;
      continue;
    }
    const samples = [];
    for (let i = 0; i < args.samples; i++) samples.push(await coldStart(join(args.binaries, name), name, event, stack.functionEnv));
    const answers = [...new Set(samples.map((s) => s.answer))].join(', ');
    const inits = samples.map((s) => s.initMs).filter((x) => x !== null);
    const init = inits.length ? `${median(inits).toFixed(1)} ms` : '-';
    const answer = median(samples.map((s) => s.answerMs));
    const max = Math.max(...samples.map((s) => s.answerMs));
    console.log(
      `${name.padEnd(16)} ${size.toFixed(1).padStart(5)} MiB ${init.padStart(9)} ${`${answer.toFixed(1)} ms`.padStart(9)} ${`${max.toFixed(1)} ms`.padStart(9)}  ${answers}`,
    );
    if (samples.some((s) => !/^(response|error )/.test(s.answer))) exitCode = 1;
  }
  console.log('init: process start to its first request for an event; answer: to its response (median of the samples); max: the slowest');
} catch (error) {
  console.error(error.stack ?? error.message);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
