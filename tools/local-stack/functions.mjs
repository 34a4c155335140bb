// The Lambda functions, locally: cargo lambda's emulator serves the Lambda
// Invoke and Runtime APIs (`cargo lambda watch --only-lambda-apis`, which
// neither builds nor starts anything), and the stack starts the binaries
// the build step made, `concurrency` instances of each, as Lambda runs
// several instances of a function. Nothing is compiled at stack start.
//
// Each instance is told where its Runtime API is as Lambda tells it, by
// AWS_LAMBDA_RUNTIME_API: the emulator serves one per function name, at
// http://HOST:PORT/.rt/<function> (its `/:function_name/2018-06-01/runtime/...`
// routes), and queues each Invoke of /2015-03-31/functions/<function>/invocations
// for that function's instances. An instance that exits is started again,
// as Lambda starts a new one; one that exits at once, before it served
// anything, is reported with its log instead of being restarted for ever.

import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, binaryPath, freePort, openLog, spawnLogged, startProcess, waitForHttp, withDeadline } from './processes.mjs';

/** The Lambda functions: one crate each under functions/, besides the core. */
export function functionNames() {
  return readdirSync(join(ROOT, 'functions')).filter((d) => d !== 'core').sort();
}

/** How long an instance may take to answer its first invocation. */
const READY_DEADLINE_MS = 30000;
/** An instance that exits sooner than this after its start failed at init. */
const INIT_FAILURE_MS = 3000;

/** The emulator on a free port: `{ base, stop() }`. */
async function startEmulator({ logDir }) {
  const port = await freePort();
  const proc = startProcess('cargo', ['lambda', 'watch', '--only-lambda-apis', '--ignore-changes', '-A', '127.0.0.1', '-P', String(port)], {
    logDir,
    name: 'lambda-emulator',
  });
  const base = `http://127.0.0.1:${port}`;
  // A GET of the Invoke route answers 405 at once; most other paths are
  // function URLs, which wait for an instance.
  const probe = `${base}/2015-03-31/functions/probe/invocations`;
  try {
    await Promise.race([
      waitForHttp(probe, 'the Lambda emulator (cargo lambda watch --only-lambda-apis)', { timeoutMs: 60000, logPath: proc.logPath }),
      once(proc.child, 'exit').then(([code]) => {
        throw new Error(`the Lambda emulator (cargo lambda watch) exited with code ${code}; see ${proc.logPath}`);
      }),
    ]);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { ...proc, base };
}

/**
 * One function's instances, each a process of its binary against the
 * emulator, restarted when it exits; their output, line by line, in
 * `<logDir>/<name>.log`.
 */
function startInstances({ name, count, emulatorBase, env, logDir }) {
  const bin = binaryPath(name);
  const { log, logPath } = openLog(logDir, name);
  const instanceEnv = {
    ...env,
    AWS_LAMBDA_RUNTIME_API: `${emulatorBase}/.rt/${name}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  };
  let stopping = false;
  const running = new Set();
  const state = { name, logPath, initFailure: null };
  const start = (index) => {
    const startedAt = Date.now();
    const proc = spawnLogged(bin, [], { env: instanceEnv, log });
    running.add(proc);
    proc.child.on('exit', (code, signal) => {
      running.delete(proc);
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (Date.now() - startedAt < INIT_FAILURE_MS) {
        state.initFailure = `${name} (instance ${index}) exited at start (${how})`;
        log.write(`[local stack] ${state.initFailure}; not started again\n`);
        return;
      }
      log.write(`[local stack] ${name} instance ${index} exited (${how}); starting another, as Lambda would\n`);
      start(index);
    });
  };
  for (let i = 1; i <= count; i++) start(i);
  return {
    state,
    /** The process IDs of the instances running now. */
    pids: () => [...running].map((p) => p.child.pid),
    async stop() {
      stopping = true;
      await Promise.all([...running].map((p) => p.stop()));
      log.end();
    },
  };
}

/** The last lines of a log, for an error message. */
function tail(path, lines = 5) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Every function answers an invocation (an empty one, which each refuses
 * with Export.MalformedInput at once), within its own deadline; one that
 * failed at init or does not answer is named with its log. A plain fetch,
 * not the SDK's Invoke: any answer will do, and the emulator answers a
 * function error with HTTP 500, which the SDK takes for Lambda failing.
 */
async function waitUntilReady(base, groups) {
  await Promise.all(
    groups.map(async ({ state }) => {
      const answered = fetch(`${base}/2015-03-31/functions/${state.name}/invocations`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(READY_DEADLINE_MS + 1000),
      }).then((r) => r.text());
      const failedAtInit = new Promise((_, reject) => {
        const timer = setInterval(() => {
          if (state.initFailure) {
            clearInterval(timer);
            reject(new Error(`${state.initFailure}; its log, ${state.logPath}, ends:\n${tail(state.logPath)}`));
          }
        }, 100);
        timer.unref();
        answered.finally(() => clearInterval(timer)).catch(() => {});
      });
      await withDeadline(
        Promise.race([answered, failedAtInit]),
        READY_DEADLINE_MS,
        `the function ${state.name} did not answer its first invocation within ${READY_DEADLINE_MS / 1000} s; see ${state.logPath}`,
      );
    }),
  );
}

/**
 * The emulator and `concurrency` instances of every function, with `env`
 * (the functions' settings) and `envOf(name)` (its own: its role's
 * credentials) in their environment, each having answered once. `{ base, logPaths, stop() }`; `base` is the emulator's Invoke API.
 */
export async function startFunctions({ logDir, env, envOf = () => ({}), concurrency, names = functionNames() }) {
  const emulator = await startEmulator({ logDir });
  const groups = [];
  try {
    for (const name of names) {
      groups.push(startInstances({ name, count: concurrency, emulatorBase: emulator.base, env: { ...env, ...envOf(name) }, logDir }));
    }
    await waitUntilReady(emulator.base, groups);
  } catch (error) {
    await Promise.all(groups.map((g) => g.stop()));
    await emulator.stop();
    throw error;
  }
  return {
    base: emulator.base,
    logPaths: groups.map((g) => g.state.logPath),
    /** Every instance running now: `{ name, pid }`. */
    instances: () => groups.flatMap((g) => g.pids().map((pid) => ({ name: g.state.name, pid }))),
    async stop() {
      await Promise.all(groups.map((g) => g.stop()));
      await emulator.stop();
    },
  };
}
