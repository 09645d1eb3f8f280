// Container side of invoke-bundle.ts (a worker thread or a child process): loads a
// bundled handler once (like a warm Lambda container) and runs it for each request
// line on stdin. Each result is written to stdout as a marker line after the
// handler's own log lines, so the parent can attribute logs to invocations.
// Plain JS on purpose: runs under bare node.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import tls from "node:tls";
import { pathToFileURL } from "node:url";
import { isMainThread, workerData } from "node:worker_threads";

// In a worker thread (the default container, see invoke-bundle.ts) Node does not read
// NODE_EXTRA_CA_CERTS, which it reads once at process start: a container given its own
// (a test's self-signed certificate) trusts it here, as a process would at start.
if (!isMainThread && workerData?.extraCaCerts) {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(workerData.extraCaCerts, "utf8")]);
}

const MARK = "\u001eRESULT ";
const STDERR_END = "\u001eEND ";
const [bundlePath, handlerName = "handler"] = process.argv.slice(2);
const loadStarted = performance.now();
const mod = await import(pathToFileURL(bundlePath).href);
const loadMs = performance.now() - loadStarted;
process.stdout.write(`\n${MARK}${JSON.stringify({ ready: true, loadMs })}\n`);

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  const deadline = Date.now() + (request.timeoutMs ?? 30000);
  const context = {
    functionName: request.functionName ?? "test-function",
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${request.functionName ?? "test-function"}`,
    memoryLimitInMB: "512",
    awsRequestId: request.awsRequestId ?? randomUUID(),
    logGroupName: "/aws/lambda/test",
    logStreamName: "test",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  let reply;
  try {
    const result = await mod[handlerName](request.event, context);
    reply = { id: request.id, ok: true, result: result === undefined ? null : result };
  } catch (error) {
    reply = { id: request.id, ok: false, error: { name: error?.name ?? "Error", message: error?.message ?? String(error), stack: error?.stack } };
  }
  // End marker on stderr first: the parent delivers the result once both have arrived.
  process.stderr.write(`\n${STDERR_END}${request.id}\n`);
  process.stdout.write(`\n${MARK}${JSON.stringify(reply)}\n`);
}
