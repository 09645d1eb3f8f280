/**
 * Runs a bundled handler (dist/functions/<name>/index.mjs) unchanged, outside jest's CommonJS
 * runtime (which cannot import the ESM bundle), as a warm Lambda container: its own environment
 * variables and a module scope that persists across invocations.
 *
 * Each container is a worker thread by default: its own V8 isolate (module state, globals) and its
 * own copy of `process.env`, in about a third of the memory of a process (23-29 MiB once loaded),
 * so a test can hold a dozen warm functions at once. Benchmarks that read a function's memory from /proc, or time it
 * as Lambda runs it, ask for a child `node` process instead (`isolation: "process"`).
 *
 * @example
 * const fn = await startBundle(bundleFunction("transcript-archiver").entry, { AZURE_VAULT_SECRET_ARN: arn, ... });
 * const result = await fn.invoke<SQSBatchResponse>(sqsEvent);
 * expect(fn.takeLogs().every((line) => !JSON.stringify(line).includes(secret))).toBe(true);
 * await fn.close();
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { Worker } from "node:worker_threads";

const MARK = "\u001eRESULT ";
/** Written by the runner to stderr after each invocation: `<STDERR_END><id>`. */
const STDERR_END = "\u001eEND ";
// Found from the repository root, not __dirname: scripts bundled into .build/ (benchmarks) use this module too.
const RUNNER = path.join(repositoryRoot(__dirname), "test", "support", "bundle-runner.mjs");

function repositoryRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "test", "support", "bundle-runner.mjs"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`invoke-bundle: no repository root above ${start}`);
  }
}

/** The handler threw: `name` and `message` are the handler error's. */
export class BundleInvocationError extends Error {
  constructor(name: string, message: string, readonly remoteStack?: string) {
    super(message);
    this.name = name;
  }
}

/** A parsed structured log line (non-JSON lines are kept as `{ message: text }`). */
export type LogLine = Record<string, unknown>;

/** Options of one invocation. */
export interface InvokeOptions {
  /** Lambda timeout seen by context.getRemainingTimeInMillis(). @default 30000 */
  timeoutMs?: number;
  functionName?: string;
  awsRequestId?: string;
}

/** A warm "container" running one bundle. */
export interface BundleProcess {
  /** Invokes the handler; resolves with its result or rejects with {@link BundleInvocationError}. */
  invoke<R = unknown>(event: unknown, opts?: InvokeOptions): Promise<R>;
  /** Log lines written so far (stdout). */
  readonly logs: LogLine[];
  /** Returns and clears the collected log lines. */
  takeLogs(): LogLine[];
  /** Everything written to stderr. */
  stderr(): string;
  /** Time the child took to import the bundle, ms. */
  loadMs: number;
  /** Process id of the child with `isolation: "process"` (benchmarks read its memory from /proc); this process's with threads. */
  pid: number;
  close(): Promise<void>;
}

/** Options of {@link startBundle}. */
export interface BundleOptions {
  /** Source-mapped stack traces. @default true */
  sourceMaps?: boolean;
  /**
   * A 2 MiB young generation instead of Node's 16 MiB, so a test can hold many warm functions in
   * little memory; benchmarks turn it off to time the default. @default true
   */
  compactHeap?: boolean;
  /** A worker thread (tests) or a child process (benchmarks: own pid, own CPU accounting). @default "thread" */
  isolation?: "thread" | "process";
}

/** The container's streams and lifecycle, whichever the isolation. */
interface Container {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  pid: number;
  /** Calls back once with how it ended. */
  onExit(listener: (how: string) => void): void;
  exited(): boolean;
  stop(): void;
}

function startContainer(entry: string, env: Record<string, string>, handlerName: string, opts: BundleOptions): Container {
  const sourceMaps = opts.sourceMaps !== false;
  const compactHeap = opts.compactHeap !== false;
  if (opts.isolation === "process") {
    const nodeArgs = [...(compactHeap ? ["--max-semi-space-size=2"] : []), ...(sourceMaps ? ["--enable-source-maps"] : [])];
    const child = spawn(process.execPath, [...nodeArgs, RUNNER, entry, handlerName], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      pid: child.pid!,
      onExit: (listener) => child.once("exit", (code, signal) => listener(`code ${code}, signal ${signal}`)),
      exited: () => child.exitCode !== null || child.signalCode !== null,
      stop: () => {
        child.stdin.end();
        child.kill();
      },
    };
  }
  const extraCaCerts = env.NODE_EXTRA_CA_CERTS !== process.env.NODE_EXTRA_CA_CERTS ? env.NODE_EXTRA_CA_CERTS : undefined;
  const worker = new Worker(RUNNER, {
    argv: [entry, handlerName],
    workerData: { extraCaCerts },
    env: { ...process.env, ...env },
    stdin: true,
    stdout: true,
    stderr: true,
    execArgv: sourceMaps ? ["--enable-source-maps"] : [],
    // A young generation of about three 2 MiB semi-spaces, as --max-semi-space-size=2 gives a process.
    resourceLimits: compactHeap ? { maxYoungGenerationSizeMb: 6 } : undefined,
  });
  let exited = false;
  let failure = "";
  // An uncaught error ends the thread as it would end the process; the exit error names it.
  worker.on("error", (error) => (failure = `${error.stack ?? error}`));
  return {
    stdin: worker.stdin!,
    stdout: worker.stdout,
    stderr: worker.stderr,
    pid: process.pid,
    onExit: (listener) =>
      worker.once("exit", (code) => {
        exited = true;
        listener(`code ${code}${failure ? `, error ${failure}` : ""}`);
      }),
    exited: () => exited,
    stop: () => void worker.terminate(),
  };
}

/**
 * Starts a container that imports `entry` and waits for invocations.
 * @param env added to the parent's environment for the container (e.g. endpoints, secret ARNs)
 */
export async function startBundle(entry: string, env: Record<string, string> = {}, handlerName = "handler", opts: BundleOptions = {}): Promise<BundleProcess> {
  const child = startContainer(entry, env, handlerName, opts);
  const logs: LogLine[] = [];
  let stderr = "";
  let buffered = "";
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let ready: { resolve: (loadMs: number) => void; reject: (error: Error) => void };
  const readyPromise = new Promise<number>((resolve, reject) => (ready = { resolve, reject }));

  // A result is delivered only once the child's stderr up to that invocation's end has
  // arrived too (the runner writes an end marker there): stdout and stderr are separate
  // pipes, so otherwise ERROR/WARN log lines (stderr) could lag behind the result.
  const stderrEnded = new Set<number>();
  const heldResults = new Map<number, () => void>();
  let stderrBuffered = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderrBuffered += chunk;
    let newline: number;
    while ((newline = stderrBuffered.indexOf("\n")) >= 0) {
      const line = stderrBuffered.slice(0, newline + 1);
      stderrBuffered = stderrBuffered.slice(newline + 1);
      if (!line.startsWith(STDERR_END)) {
        stderr += line;
        continue;
      }
      const id = Number(line.slice(STDERR_END.length));
      const held = heldResults.get(id);
      heldResults.delete(id);
      if (held) held();
      else stderrEnded.add(id);
    }
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.trim()) continue;
      if (line.startsWith(MARK)) {
        const message = JSON.parse(line.slice(MARK.length));
        if (message.ready) {
          ready.resolve(message.loadMs);
          continue;
        }
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (!waiter) continue;
        const deliver = () =>
          message.ok ? waiter.resolve(message.result) : waiter.reject(new BundleInvocationError(message.error.name, message.error.message, message.error.stack));
        if (stderrEnded.delete(message.id)) deliver();
        else heldResults.set(message.id, deliver);
        continue;
      }
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ message: line });
      }
    }
  });
  child.onExit((how) => {
    stderr += stderrBuffered;
    const error = new Error(`bundle container exited (${how}); stderr:\n${stderr}`);
    ready.reject(error);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    for (const deliver of heldResults.values()) deliver();
    heldResults.clear();
  });

  const loadMs = await readyPromise;
  return {
    loadMs,
    pid: child.pid,
    logs,
    takeLogs: () => logs.splice(0, logs.length),
    stderr: () => stderr,
    invoke<R>(event: unknown, opts: InvokeOptions = {}): Promise<R> {
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.stdin.write(`${JSON.stringify({ id, event, ...opts })}\n`);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exited()) return resolve();
        child.onExit(() => resolve());
        child.stop();
      }),
  };
}
