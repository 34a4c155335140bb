// Runs the real ASL (statemachine/export-dashboard.asl.json) in
// aws-local-stepfunctions, with every Task invoking the real Lambda binary
// through `cargo lambda watch`, against quicksight-sim and a local S3 server
// (moto). Used by the local run (scripts/run-local) and the state machine tests.
//
// Needs Node 22 (tools/node/node_modules/.bin/node), the debug build of the
// workspace, and the Python venv from scripts/setup (moto_server, cargo-lambda).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync, mkdirSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The Node tools are pinned in tools/node (see scripts/setup).
export const requireTool = createRequire(join(ROOT, 'tools', 'node', 'package.json'));
const { StateMachine } = requireTool('aws-local-stepfunctions');
export const DEFINITION_PATH = join(ROOT, 'statemachine', 'export-dashboard.asl.json');
const LOCAL_ACCOUNT = '123456789012';
const LOCAL_REGION = 'us-east-1';

/// Step Functions keeps at most this many events in one execution's history.
export const HISTORY_EVENT_LIMIT = 25000;
/// And at most this many bytes of state data (input or output) per state.
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** The `${Name}` placeholders of the definition, in order of appearance. */
export function placeholders(text) {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))];
}

/** `StartJobFunctionArn` -> `start-job`: the binary behind a substitution. */
export function binaryFor(substitution) {
  const base = substitution.replace(/FunctionArn$/, '');
  return base.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * The definition with each `${XFunctionArn}` replaced by a Lambda ARN whose
 * function name is the binary's, as SAM's DefinitionSubstitutions would.
 */
export function loadDefinition() {
  let text = readFileSync(DEFINITION_PATH, 'utf8');
  for (const name of placeholders(text)) {
    const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${binaryFor(name)}`;
    text = text.replaceAll('${' + name + '}', arn);
  }
  return JSON.parse(text);
}

/** Every Task state in the definition (Map iterations included), by name. */
export function taskStates(definition) {
  const found = {};
  const walk = (states) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found[name] = state;
      if (state.ItemProcessor) walk(state.ItemProcessor.States);
      if (state.Iterator) walk(state.Iterator.States);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return found;
}

export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function waitForHttp(url, what, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer at ${url}: ${error.message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A child process whose output goes to a log file, stopped with `stop()`. */
function startProcess(command, args, { env = {}, logDir, name }) {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() also ends its children
  });
  child.stderr.pipe(log);
  child.on('error', (error) => log.write(`spawn error: ${error.message}\n`));
  return {
    child,
    log,
    logPath: join(logDir, `${name}.log`),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
        await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
      log.end();
    },
  };
}

/** moto's S3 server on a free port, with `bucket` created. */
export async function startS3({ logDir, bucket }) {
  const port = await freePort();
  const proc = startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { logDir, name: 's3' });
  proc.child.stdout.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/`, 'the local S3 server (moto)');
  const created = await fetch(`${endpoint}/${bucket}`, { method: 'PUT', headers: S3_AUTH });
  if (!created.ok) throw new Error(`could not create bucket ${bucket}: ${created.status}`);
  return { ...proc, endpoint, bucket };
}

/** quicksight-sim on a free port; `flags` are its command-line flags. */
export async function startQuickSight({ logDir, flags = [], s3Endpoint }) {
  const bin = join(ROOT, 'target', 'debug', 'quicksight-sim');
  const args = ['--addr', '127.0.0.1:0', ...flags];
  if (s3Endpoint) args.push('--s3-endpoint', s3Endpoint);
  const proc = startProcess(bin, args, { logDir, name: 'quicksight-sim' });
  const lines = createInterface({ input: proc.child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(proc.child, 'exit').then(() => {
      throw new Error(`quicksight-sim exited; see ${proc.logPath}`);
    }),
  ]);
  const match = /^listening on (http:\/\/\S+)$/.exec(line);
  if (!match) throw new Error(`unexpected first line from quicksight-sim: ${line}`);
  const endpoint = match[1];
  return {
    ...proc,
    endpoint,
    async stats() {
      const response = await fetch(`${endpoint}/_sim/stats`);
      return response.json();
    },
  };
}

/**
 * `cargo lambda watch` serving every binary of the workspace, with the
 * functions' settings in their environment.
 */
export async function startFunctions({ logDir, quicksightEndpoint, s3Endpoint, settings = {} }) {
  const port = await freePort();
  const env = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    QUICKSIGHT_ENDPOINT_URL: quicksightEndpoint,
    S3_ENDPOINT_URL: s3Endpoint,
    ...settings,
  };
  const envArgs = Object.entries({ ...env, RUST_LOG: 'info' }).flatMap(([k, v]) => ['--env-var', `${k}=${v}`]);
  const proc = startProcess(
    'cargo',
    ['lambda', 'watch', '--ignore-changes', '-A', '127.0.0.1', '-P', String(port), ...envArgs],
    { logDir, name: 'functions', env },
  );
  proc.child.stdout.pipe(proc.log);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(base, 'cargo lambda watch');
  return { ...proc, base };
}

/**
 * Invokes a function through cargo lambda watch. A function error becomes
 * a thrown Error whose name is the errorType (what Retry and Catch match)
 * and whose message is the error payload as JSON (what AWS puts in Cause).
 */
export function invoker(base) {
  return (binary) => async (payload) => {
    const response = await fetch(`${base}/2015-03-31/functions/${binary}/invocations`, {
      method: 'POST',
      body: JSON.stringify(payload),
    });
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { errorType: 'Lambda.ServiceException', errorMessage: text };
    }
    if (response.status !== 200) {
      const error = new Error(JSON.stringify(body));
      error.name = body.errorType ?? 'Lambda.ServiceException';
      throw error;
    }
    return body;
  };
}

/**
 * Runs one execution. `retryScale` shrinks every retrier's IntervalSeconds
 * (30 s at 0.01 becomes 300 ms). Returns the result or the failure, the
 * event counts, and per-recipient transition figures.
 */
export async function runExecution({ functionsBase, input, executionName, retryScale = 0.02, onProgress }) {
  const definition = loadDefinition();
  const tasks = taskStates(definition);
  const invoke = invoker(functionsBase);
  const taskResourceLocalHandlers = {};
  const retryIntervalOverrides = {};
  for (const [name, state] of Object.entries(tasks)) {
    const binary = state.Resource.split(':function:')[1];
    taskResourceLocalHandlers[name] = invoke(binary);
    if (state.Retry) {
      // Retriers of a few seconds (throttling, Lambda errors) keep their own
      // jittered backoff: the simulator's rate limit runs in real time.
      // Long ones (the job cap, early results) are scaled down.
      retryIntervalOverrides[name] = state.Retry.map((r) =>
        (r.IntervalSeconds ?? 1) >= 5 ? Math.max(50, Math.round(r.IntervalSeconds * 1000 * retryScale)) : -1,
      );
    }
  }
  const machine = new StateMachine(definition);
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers, retryIntervalOverrides },
    context: {
      Execution: { Name: executionName, StartTime: new Date().toISOString() },
    },
  });

  const progress = { started: 0, finished: 0, active: 0 };
  const stateTypes = {};
  const perIndex = new Map(); // Map iteration index -> { entered, retried, byType }
  const totals = { StateEntered: 0, StateRetried: 0, StateFailed: 0, StateCaught: 0 };
  const errorsRetried = {};
  let mapOutputBytes = 0;
  const eventsDone = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'MapIterationStarted') {
        progress.started += 1;
        progress.active += 1;
      } else if (event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') {
        progress.finished += 1;
        progress.active -= 1;
      }
      if (event.type in totals) totals[event.type] += 1;
      if (event.type === 'StateFailed') {
        errorsRetried[event.Error] = (errorsRetried[event.Error] ?? 0) + 1;
      }
      if (event.type === 'StateExited' && event.state?.type === 'Map') {
        mapOutputBytes = Buffer.byteLength(JSON.stringify(event.state.output ?? null));
      }
      if (event.state) stateTypes[event.state.name] = event.state.type;
      if (event.index !== undefined && event.state && (event.type === 'StateEntered' || event.type === 'StateRetried')) {
        const entry = perIndex.get(event.index) ?? { entered: 0, retried: 0, byType: {} };
        if (event.type === 'StateEntered') {
          entry.entered += 1;
          entry.byType[event.state.type] = (entry.byType[event.state.type] ?? 0) + 1;
        } else {
          entry.retried += 1;
        }
        perIndex.set(event.index, entry);
      }
      onProgress?.(progress, event);
    }
  })();

  const began = Date.now();
  let output = null;
  let failure = null;
  try {
    output = await execution.result;
  } catch (error) {
    failure = { name: error.name, message: error.message, cause: error.cause };
  }
  await eventsDone;
  return {
    output,
    failure,
    seconds: (Date.now() - began) / 1000,
    totals,
    errorsRetried,
    mapOutputBytes,
    perRecipient: transitionFigures(perIndex),
  };
}

/**
 * Per-recipient costs. Billable transitions are states entered plus retries.
 * History events follow AWS's accounting: a Lambda Task state writes 5
 * events (entered, scheduled, started, succeeded, exited) and 3 more per
 * retry; Wait, Choice and Pass write 2; each Map iteration 2.
 */
function transitionFigures(perIndex) {
  const n = perIndex.size;
  if (n === 0) return { recipients: 0 };
  let transitions = 0;
  let historyEvents = 0;
  let maxHistoryEvents = 0;
  for (const entry of perIndex.values()) {
    const t = entry.entered + entry.retried;
    const events =
      2 +
      5 * (entry.byType.Task ?? 0) +
      3 * entry.retried +
      2 * ((entry.byType.Wait ?? 0) + (entry.byType.Choice ?? 0) + (entry.byType.Pass ?? 0));
    transitions += t;
    historyEvents += events;
    maxHistoryEvents = Math.max(maxHistoryEvents, events);
  }
  return {
    recipients: n,
    transitionsPerRecipient: transitions / n,
    historyEventsPerRecipient: historyEvents / n,
    maxHistoryEventsPerRecipient: maxHistoryEvents,
  };
}

// moto treats requests without credentials as anonymous and denies reads of
// private objects; it does not check signatures, so any credential will do.
const S3_AUTH = {
  Authorization:
    'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
};

/** Reads an object from the local S3 server. */
export async function getObject(s3Endpoint, bucket, key) {
  const response = await fetch(`${s3Endpoint}/${bucket}/${key}`, { headers: S3_AUTH });
  if (!response.ok) throw new Error(`GET s3://${bucket}/${key}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Lists keys under a prefix in the local S3 server. */
export async function listKeys(s3Endpoint, bucket, prefix) {
  const keys = [];
  let token = null;
  do {
    const url = new URL(`${s3Endpoint}/${bucket}`);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await (await fetch(url, { headers: S3_AUTH })).text();
    keys.push(...[...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]));
    token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)?.[1] ?? null;
  } while (token);
  return keys;
}

/** `s3://bucket/key` -> { bucket, key }. */
export function parseS3Uri(uri) {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/**
 * Starts S3, the simulator and the functions for one scenario; `stop()`
 * ends them all.
 */
export async function startStack({ logDir, bucket, simFlags = [], settings = {} }) {
  const stopped = [];
  try {
    const s3 = await startS3({ logDir, bucket });
    stopped.push(s3);
    const quicksight = await startQuickSight({ logDir, flags: simFlags, s3Endpoint: s3.endpoint });
    stopped.push(quicksight);
    const functions = await startFunctions({
      logDir,
      quicksightEndpoint: quicksight.endpoint,
      s3Endpoint: s3.endpoint,
      settings,
    });
    stopped.push(functions);
    return {
      s3,
      quicksight,
      functions,
      async stop() {
        for (const p of stopped.reverse()) await p.stop();
      },
    };
  } catch (error) {
    for (const p of stopped.reverse()) await p.stop();
    throw error;
  }
}
