/**
 * A small AWS Step Functions control-plane fake in the JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Operation>`): ListExecutions (status filter,
 * paging) and StartExecution with the service's name rule (a name is used once
 * per state machine; the same name and input while running returns the same
 * execution, anything else is ExecutionAlreadyExists). Point clients at it with
 * `AWS_ENDPOINT_URL_SFN`.
 */
import { AwsServiceError, startJsonFake, type JsonFake } from "./aws-json-fake";

export interface FakeExecution {
  name: string;
  input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
  startDate: number;
  stopDate?: number;
}

export interface SfnFake extends JsonFake {
  addStateMachine(arn: string): void;
  /** Executions of a state machine (add some to script history). */
  executions(stateMachineArn: string): FakeExecution[];
}

export async function startSfnFake(): Promise<SfnFake> {
  const machines = new Map<string, FakeExecution[]>();
  const machine = (arn: unknown) => {
    const list = machines.get(String(arn));
    if (!list) throw new AwsServiceError(400, "StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return list;
  };
  const executionArn = (machineArn: string, name: string) => `${machineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  const fake = await startJsonFake(
    { targetPrefix: "AWSStepFunctions", jsonVersion: "1.0", errorNamespace: "com.amazonaws.swf.service.v2.model" },
    {
      ListExecutions: ({ stateMachineArn, statusFilter, maxResults, nextToken }) => {
        const all = machine(stateMachineArn)
          .filter((e) => !statusFilter || e.status === statusFilter)
          .sort((a, b) => b.startDate - a.startDate);
        const start = nextToken ? Number(nextToken) : 0;
        const size = maxResults || 100;
        const page = all.slice(start, start + size);
        return {
          executions: page.map((e) => ({ executionArn: executionArn(stateMachineArn, e.name), stateMachineArn, name: e.name, status: e.status, startDate: e.startDate / 1000, stopDate: e.stopDate ? e.stopDate / 1000 : undefined })),
          nextToken: start + size < all.length ? String(start + size) : undefined,
        };
      },
      StartExecution: ({ stateMachineArn, name, input }) => {
        const list = machine(stateMachineArn);
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(name ?? "")) throw new AwsServiceError(400, "InvalidName", `Invalid Name: '${name}'`);
        const existing = list.find((e) => e.name === name);
        if (existing) {
          if (existing.status === "RUNNING" && existing.input === (input ?? "{}")) return { executionArn: executionArn(stateMachineArn, name), startDate: existing.startDate / 1000 };
          throw new AwsServiceError(400, "ExecutionAlreadyExists", `Execution Already Exists: '${executionArn(stateMachineArn, name)}'`);
        }
        const execution: FakeExecution = { name, input: input ?? "{}", status: "RUNNING", startDate: Date.now() };
        list.push(execution);
        return { executionArn: executionArn(stateMachineArn, name), startDate: execution.startDate / 1000 };
      },
    },
  );
  return Object.assign(fake, {
    addStateMachine: (arn: string) => void machines.set(arn, []),
    executions: (arn: string) => machine(arn),
  });
}
