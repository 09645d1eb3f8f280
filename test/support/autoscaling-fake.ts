/**
 * A tiny Amazon EC2 Auto Scaling fake: DescribeAutoScalingGroups only, in the AWS
 * query protocol the SDK speaks (form-encoded POST, XML response), on 127.0.0.1
 * port 0. Point functions at it with `AWS_ENDPOINT_URL_AUTO_SCALING=fake.endpoint`.
 *
 * Like the real API, unknown group names are left out of the answer (no error);
 * `deny(true)` answers 403 `AccessDenied` as IAM does for a role without the permission.
 * A group can be given a script of states, consumed one per Describe call, to model
 * a group that changes between two events.
 *
 * @example
 * const asg = await startAutoScalingFake();
 * asg.setGroup("backend-asg", [{ inService: 3 }, { inService: 5, pending: 1 }]);
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Instance counts of a group at one moment. */
export interface GroupState {
  inService: number;
  pending?: number;
  terminating?: number;
  /** In service but failing health checks. */
  unhealthy?: number;
  /** DesiredCapacity (defaults to inService + pending). */
  desired?: number;
}

/** A running fake. */
export interface AutoScalingFake {
  endpoint: string;
  /** Sets a group's state script (the last state repeats). */
  setGroup(name: string, states: GroupState[]): void;
  /** Group names asked for, one entry per Describe call. */
  calls: string[][];
  /** Answer every call 403 AccessDenied, as IAM does for a role without the permission (false: allow again). */
  deny(denied: boolean): void;
  close(): Promise<void>;
}

/** Starts the fake. Close it in afterAll. */
export async function startAutoScalingFake(region = "us-east-1"): Promise<AutoScalingFake> {
  const groups = new Map<string, GroupState[]>();
  const calls: string[][] = [];
  let denied = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const action = params.get("Action");
      if (action !== "DescribeAutoScalingGroups") {
        return send(400, errorXml("InvalidAction", `The action ${action} is not valid for this endpoint.`));
      }
      if (denied) {
        return send(
          403,
          errorXml("AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/config-sync/fn is not authorized to perform: autoscaling:DescribeAutoScalingGroups because no identity-based policy allows the autoscaling:DescribeAutoScalingGroups action"),
        );
      }
      const names = [...params.entries()].filter(([key]) => /^AutoScalingGroupNames\.member\.\d+$/.test(key)).map(([, value]) => value);
      calls.push(names);
      const members = names
        .filter((name) => groups.has(name))
        .map((name) => {
          const script = groups.get(name)!;
          const state = script.length > 1 ? script.shift()! : script[0]!;
          return groupXml(name, state, region);
        })
        .join("");
      send(
        200,
        `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">` +
          `<DescribeAutoScalingGroupsResult><AutoScalingGroups>${members}</AutoScalingGroups></DescribeAutoScalingGroupsResult>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`,
      );
    });
    function send(status: number, xml: string): void {
      res.writeHead(status, { "content-type": "text/xml", "content-length": String(Buffer.byteLength(xml)) }).end(xml);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setGroup: (name, states) => groups.set(name, [...states]),
    calls,
    deny: (value) => {
      denied = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function groupXml(name: string, state: GroupState, region: string): string {
  const instances: Array<[string, string]> = [
    ...Array.from({ length: state.inService }, (): [string, string] => ["InService", "Healthy"]),
    ...Array.from({ length: state.pending ?? 0 }, (): [string, string] => ["Pending", "Healthy"]),
    ...Array.from({ length: state.terminating ?? 0 }, (): [string, string] => ["Terminating", "Healthy"]),
    ...Array.from({ length: state.unhealthy ?? 0 }, (): [string, string] => ["InService", "Unhealthy"]),
  ];
  const desired = state.desired ?? state.inService + (state.pending ?? 0);
  const instanceXml = instances
    .map(
      ([lifecycle, health], index) =>
        `<member><InstanceId>i-${String(index).padStart(17, "0")}</InstanceId><InstanceType>t3.micro</InstanceType>` +
        `<AvailabilityZone>${region}a</AvailabilityZone><LifecycleState>${lifecycle}</LifecycleState>` +
        `<HealthStatus>${health}</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
    )
    .join("");
  return (
    `<member><AutoScalingGroupName>${name}</AutoScalingGroupName>` +
    `<AutoScalingGroupARN>arn:aws:autoscaling:${region}:123456789012:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}</AutoScalingGroupARN>` +
    `<MinSize>0</MinSize><MaxSize>20</MaxSize><DesiredCapacity>${desired}</DesiredCapacity><DefaultCooldown>300</DefaultCooldown>` +
    `<AvailabilityZones><member>${region}a</member></AvailabilityZones><HealthCheckType>EC2</HealthCheckType>` +
    `<CreatedTime>2024-01-01T00:00:00.000Z</CreatedTime><Instances>${instanceXml}</Instances></member>`
  );
}

function errorXml(code: string, message: string): string {
  return `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
