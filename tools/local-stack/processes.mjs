// The local stack's processes: where the built binaries are, free ports,
// children whose output goes to a log file, and waits that each have their
// own deadline and say, when it passes, what they waited for and where the
// log is (never a default timeout of another tool).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cargo's target directory, as cargo itself finds it. */
export function targetDir() {
  const dir = process.env.CARGO_TARGET_DIR;
  if (!dir) return join(ROOT, 'target');
  return isAbsolute(dir) ? dir : join(ROOT, dir);
}

/**
 * The path of a binary of the workspace's `profile` build, or an error that
 * says which build makes it: the stack runs what the build step made and
 * compiles nothing itself.
 */
export function binaryPath(name, profile = 'debug') {
  const path = join(targetDir(), profile, name);
  if (!existsSync(path)) {
    const build = profile === 'release' ? 'cargo build --release --workspace' : 'cargo build --workspace --all-targets';
    throw new Error(`${path} is missing: build it first with \`${build}\` (scripts/run-local and scripts/test do)`);
  }
  return path;
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

/** Resolves after `ms`, or rejects with `message` if `promise` has not settled by then. */
export function withDeadline(promise, ms, message) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Polls `url` until anything answers; fails after `timeoutMs` naming `what` and its log. */
export async function waitForHttp(url, what, { timeoutMs = 60000, logPath } = {}) {
  const began = Date.now();
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (error) {
      if (Date.now() - began > timeoutMs) {
        const where = logPath ? ` (its log: ${logPath})` : '';
        throw new Error(`${what} did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s${where}: ${error.cause?.message ?? error.message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * A child process whose stdout and stderr go, a whole line at a time (so
 * that several children can share one log), to `log`, a write stream;
 * stopped with `stop()`, which also ends its children.
 */
export function spawnLogged(command, args, { env = {}, log }) {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() also ends its children
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => log.write(`${line}\n`));
  }
  child.on('error', (error) => log.write(`spawn error: ${command}: ${error.message}\n`));
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    },
  };
}

/** A log file under `logDir`, named `<name>.log`. */
export function openLog(logDir, name) {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}.log`);
  return { log: createWriteStream(logPath), logPath };
}

/** One child with a log of its own: `{ child, log, logPath, stop() }`. */
export function startProcess(command, args, { env = {}, logDir, name }) {
  const { log, logPath } = openLog(logDir, name);
  const proc = spawnLogged(command, args, { env, log });
  return {
    ...proc,
    log,
    logPath,
    async stop() {
      await proc.stop();
      log.end();
    },
  };
}

/** The first line `child` prints on stdout, within `timeoutMs`. */
export function firstLine(proc, what, timeoutMs = 30000) {
  const lines = createInterface({ input: proc.child.stdout });
  const line = new Promise((resolve, reject) => {
    lines.once('line', resolve);
    proc.child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready; see ${proc.logPath}`)));
  });
  return withDeadline(line, timeoutMs, `${what} printed nothing within ${timeoutMs / 1000} s; see ${proc.logPath}`).finally(() => lines.close());
}
