// Runs on the local stack: submit a request the way a schedule or the API
// does (store it, start an execution with its location), wait for the
// execution, and measure what AWS would bound: history events per execution,
// the largest state payload, transitions per recipient.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Step Functions keeps at most this many events in one execution's history. */
export const HISTORY_EVENT_LIMIT = 25000;
/** And at most this many bytes of input or output per state. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** An execution name for now: `<prefix>-YYYYMMDDhhmmss`. */
export function executionName(prefix) {
  return `${prefix}-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`;
}

/**
 * Stores `request` (an object or the bytes of a file) at
 * `requests/<name>.json` in the stack's bucket and starts an execution
 * named `name` whose input is that location.
 */
export async function submitRun(stack, { request, name }) {
  const key = `requests/${name}.json`;
  const body = Buffer.isBuffer(request) ? request : Buffer.from(JSON.stringify(request, null, 2));
  await stack.s3.put(stack.bucket, key, body);
  const input = { bucket: stack.bucket, key };
  const { executionArn } = await stack.sfn('StartExecution', {
    stateMachineArn: stack.stateMachineArn,
    name,
    input: JSON.stringify(input),
  });
  return { executionArn, name, input, startedAt: Date.now() };
}

/** Polls until the execution ends; `onTick` runs every poll. */
/**
 * Resolves to `check()`'s first truthy answer, asked every `everyMs`;
 * fails naming `what` after `timeoutMs`.
 */
export async function until(what, check, { timeoutMs = 180000, everyMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function waitForRun(stack, run, { onTick, pollMs = 500, timeoutMs = 30 * 60 * 1000 } = {}) {
  const began = Date.now();
  for (;;) {
    const description = await stack.sfn('DescribeExecution', { executionArn: run.executionArn });
    if (description.status === 'RUNNING' && Date.now() - began > timeoutMs) {
      throw new Error(
        `${run.executionArn} was still RUNNING after ${Math.round(timeoutMs / 1000)} s; the engine's and the functions' logs are in ${stack.logDir}`,
      );
    }
    if (description.status !== 'RUNNING') {
      return {
        ...description,
        seconds: (Date.now() - run.startedAt) / 1000,
        output: description.output ? JSON.parse(description.output) : null,
      };
    }
    await onTick?.();
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * The run as prepare-run named it (`run_id`, `run_prefix`, `bucket`...),
 * read from the execution's history; null when validation failed.
 */
export function preparedRunOf(parentEvents) {
  const exited = parentEvents.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Validate the request');
  return exited ? JSON.parse(exited.stateExitedEventDetails.output).run : null;
}

/** Every event of an execution's history, as GetExecutionHistory pages it. */
export async function historyOf(stack, executionArn) {
  const events = [];
  let nextToken;
  do {
    const page = await stack.sfn('GetExecutionHistory', { executionArn, maxResults: 1000, nextToken });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * The child executions' histories kept by the local engine (engine.py):
 * one array of events per Distributed Map item, for every map run so far
 * (`mapRun` starts with the parent execution's name and `--`).
 */
export function childHistories(stack) {
  const histories = [];
  let runs = [];
  try {
    runs = readdirSync(stack.childHistoryDir);
  } catch {
    return histories;
  }
  for (const run of runs) {
    for (const file of readdirSync(join(stack.childHistoryDir, run))) {
      histories.push({
        mapRun: run,
        index: Number(file.replace(/\.json$/, '')),
        events: JSON.parse(readFileSync(join(stack.childHistoryDir, run, file), 'utf8')),
      });
    }
  }
  return histories;
}

/** The largest input or output (in bytes) any event of `events` carries. */
function largestPayload(events) {
  let largest = 0;
  for (const event of events) {
    for (const [key, details] of Object.entries(event)) {
      if (!key.endsWith('EventDetails') || typeof details !== 'object') continue;
      for (const field of ['input', 'output', 'parameters']) {
        if (typeof details[field] === 'string') largest = Math.max(largest, Buffer.byteLength(details[field]));
      }
    }
  }
  return largest;
}

/** Billed transitions: states entered, plus every retried Lambda call. */
function transitions(events) {
  const count = (type) => events.filter((e) => e.type === type).length;
  const entered = events.filter((e) => e.type.endsWith('StateEntered')).length;
  return entered + Math.max(0, count('LambdaFunctionScheduled') - count('TaskStateEntered'));
}

/**
 * What one run costs Step Functions, against AWS's per-execution limits:
 * the parent's history, and every child's (one per recipient).
 */
export function executionFigures(parentEvents, children) {
  const childEvents = children.map((c) => c.events.length);
  const recipients = children.length;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return {
    recipients,
    parentHistoryEvents: parentEvents.length,
    childHistoryEventsMax: Math.max(0, ...childEvents),
    childHistoryEventsMean: recipients ? sum(childEvents) / recipients : 0,
    largestPayloadBytes: Math.max(largestPayload(parentEvents), ...children.map((c) => largestPayload(c.events))),
    transitionsPerRecipient: recipients
      ? (transitions(parentEvents) + sum(children.map((c) => transitions(c.events)))) / recipients
      : 0,
  };
}

/** The figures as lines for people, each against its AWS limit. */
export function describeFigures(f) {
  const pct = (x, limit) => `${((100 * x) / limit).toFixed(2)} %`;
  return [
    `history events: parent ${f.parentHistoryEvents}, per child execution mean ${f.childHistoryEventsMean.toFixed(1)}, max ${f.childHistoryEventsMax} ` +
      `(limit ${HISTORY_EVENT_LIMIT} per execution: max is ${pct(f.childHistoryEventsMax, HISTORY_EVENT_LIMIT)})`,
    `largest state payload: ${(f.largestPayloadBytes / 1024).toFixed(2)} KiB (limit ${PAYLOAD_LIMIT_BYTES / 1024} KiB: ${pct(f.largestPayloadBytes, PAYLOAD_LIMIT_BYTES)})`,
    `state transitions per recipient: ${f.transitionsPerRecipient.toFixed(1)}`,
  ];
}

/**
 * Where any of `secrets` appears: in the parent's history, the children's
 * histories, every Lambda payload and answer, and the given log files.
 * Returns one line per hit (empty when none).
 */
export function findSecrets(secrets, { parentEvents, children, invocations, logFiles = [], objects = [] }) {
  const hits = [];
  const scan = (where, text) => {
    for (const secret of secrets) if (text.includes(secret)) hits.push(`${where} holds ${secret}`);
  };
  parentEvents.forEach((e) => scan(`parent event ${e.id} (${e.type})`, JSON.stringify(e)));
  for (const child of children) child.events.forEach((e) => scan(`child ${child.index} event ${e.id} (${e.type})`, JSON.stringify(e)));
  invocations.forEach((i, n) => {
    scan(`invocation ${n} of ${i.name} (payload)`, i.payload.toString());
    scan(`invocation ${n} of ${i.name} (answer)`, i.body.toString());
  });
  for (const file of logFiles) scan(`log ${file}`, readFileSync(file, 'utf8'));
  for (const { where, text } of objects) scan(where, text);
  return hits;
}

/** Recipients whose outcome is recorded so far, from the router's log. */
export function outcomesRecorded(invocations) {
  let n = 0;
  for (const i of invocations) {
    if (i.functionError) continue;
    if (i.name === 'record-failure') n += 1;
    else if (i.name === 'fetch-result' && !JSON.parse(i.body.toString()).run_again) n += 1;
  }
  return n;
}

/** Invokes a function the way `aws lambda invoke` does, through the router. */
export async function invokeFunction(stack, name, payload) {
  // The router answers within the function's timeout, as Lambda does.
  const { functionError, body } = await stack.lambda.invoke(name, payload, {
    deadlineMs: ((stack.iam?.timeouts?.[name] ?? 65) + 5) * 1000,
    log: `its log: ${stack.logDir}/${name}.log`,
  });
  if (functionError) {
    const error = new Error(`${name}: ${body.errorType}: ${body.errorMessage}`);
    error.errorType = body.errorType;
    throw error;
  }
  return body;
}

/**
 * QuickSight calls per recipient of one run, counted from the functions
 * that make them (start-job, check-job, fetch-result: one call each, a
 * retried one again), and their median and mean. Calls the simulator
 * refused count too; so does a start that found its job and described it
 * (one call more than counted here).
 */
export function callsPerJob(invocations, runId) {
  const perRecipient = new Map();
  for (const i of invocations) {
    if (!['start-job', 'check-job', 'fetch-result'].includes(i.name)) continue;
    let payload;
    try {
      payload = JSON.parse(i.payload.toString());
    } catch {
      continue;
    }
    if (payload.run?.run_id !== runId) continue;
    const recipient = payload.recipient?.id ?? payload.job?.recipient_id;
    perRecipient.set(recipient, (perRecipient.get(recipient) ?? 0) + 1);
  }
  const counts = [...perRecipient.values()].sort((a, b) => a - b);
  const median = counts.length ? counts[Math.floor((counts.length - 1) / 2)] : 0;
  const mean = counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0;
  return { recipients: counts.length, median, mean, max: counts.at(-1) ?? 0 };
}

/**
 * Samples the simulator every `everyMs` and adds up idle slot time: slots
 * with no job running while some recipient had not started yet (the time a
 * freed slot takes to be handed over and its next job started, and any
 * poll that lands after a job ended). `stop()` returns slot-seconds.
 */
export function idleSlotSampler(stack, { cap, recipients, everyMs = 100 }) {
  let idle = 0;
  let last = Date.now();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const stats = await stack.quicksight.stats();
      const now = Date.now();
      const notStarted = Math.max(0, recipients - stats.jobs_started);
      if (notStarted > 0) idle += (Math.min(cap - stats.running_now, notStarted) * (now - last)) / 1000;
      last = now;
    } catch {
      // the simulator is stopping
    } finally {
      busy = false;
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return idle;
    },
  };
}
