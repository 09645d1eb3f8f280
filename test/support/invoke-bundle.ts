/**
 * Runs a bundled handler (dist/functions/<name>/index.mjs) unchanged, in a child
 * `node` process: jest's CommonJS runtime cannot import the ESM bundle, and a
 * separate process also gives each function its own environment variables and a
 * module scope that persists across invocations, like a warm Lambda container.
 *
 * @example
 * const fn = await startBundle(bundleFunction("transcript-archiver").entry, { AZURE_VAULT_SECRET_ARN: arn, ... });
 * const result = await fn.invoke<SQSBatchResponse>(sqsEvent);
 * expect(fn.takeLogs().every((line) => !JSON.stringify(line).includes(secret))).toBe(true);
 * await fn.close();
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

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
  /** Process id of the child (benchmarks read its memory from /proc). */
  pid: number;
  close(): Promise<void>;
}

/**
 * Starts a child process that imports `entry` and waits for invocations.
 * @param env added to the parent's environment for the child (e.g. endpoints, secret ARNs)
 * @param opts.sourceMaps run with --enable-source-maps. @default true
 * @param opts.compactHeap a 2 MiB young generation instead of Node's 16 MiB, so a test can hold a
 *   dozen warm functions at once in little memory; benchmarks turn it off to time the default. @default true
 */
export async function startBundle(
  entry: string,
  env: Record<string, string> = {},
  handlerName = "handler",
  opts: { sourceMaps?: boolean; compactHeap?: boolean } = {},
): Promise<BundleProcess> {
  // Source-mapped stack traces help debugging but cost time whenever a stack is read: benchmarks turn them off.
  const nodeArgs = [...(opts.compactHeap === false ? [] : ["--max-semi-space-size=2"]), ...(opts.sourceMaps === false ? [] : ["--enable-source-maps"])];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...nodeArgs, RUNNER, entry, handlerName], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
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
  child.on("exit", (code, signal) => {
    stderr += stderrBuffered;
    const error = new Error(`bundle process exited (code ${code}, signal ${signal}); stderr:\n${stderr}`);
    ready.reject(error);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    for (const deliver of heldResults.values()) deliver();
    heldResults.clear();
  });

  const loadMs = await readyPromise;
  return {
    loadMs,
    pid: child.pid!,
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
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin.end();
        child.kill();
      }),
  };
}
