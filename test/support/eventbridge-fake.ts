/**
 * A small Amazon EventBridge fake in the JSON 1.1 protocol (`X-Amz-Target:
 * AWSEvents.<Operation>`): DescribeArchive, DescribeRule, StartReplay and
 * DescribeReplay. Replay names are unique (ResourceAlreadyExistsException), the
 * window must be ordered, filter ARNs must be rules of the destination bus, and a
 * replay reports STARTING, then RUNNING, then COMPLETED on successive reads.
 * Point clients at it with `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 */
import { AwsServiceError, startJsonFake, type JsonFake } from "./aws-json-fake";

interface Replay {
  name: string;
  arn: string;
  input: Record<string, any>;
  reads: number;
}

export interface EventBridgeFake extends JsonFake {
  /** Adds a bus with an archive and rules. */
  addBus(busName: string, archiveName: string, ruleNames: string[]): void;
  /** Replays started, by name. */
  readonly replays: Map<string, Replay>;
}

export async function startEventBridgeFake(accountId = "333333333333", region = "eu-west-1"): Promise<EventBridgeFake> {
  const archives = new Map<string, { arn: string; busArn: string }>();
  const rules = new Map<string, string>(); // `${bus}|${rule}` -> ARN
  const replays = new Map<string, Replay>();
  const busArn = (bus: string) => `arn:aws:events:${region}:${accountId}:event-bus/${bus}`;
  const STATES = ["STARTING", "RUNNING", "COMPLETED"] as const;

  const fake = await startJsonFake(
    { targetPrefix: "AWSEvents", jsonVersion: "1.1", errorNamespace: "com.amazonaws.events" },
    {
      DescribeArchive: ({ ArchiveName }) => {
        const archive = archives.get(ArchiveName);
        if (!archive) throw new AwsServiceError(400, "ResourceNotFoundException", `Archive ${ArchiveName} does not exist.`);
        return { ArchiveArn: archive.arn, ArchiveName, EventSourceArn: archive.busArn, State: "ENABLED", RetentionDays: 30 };
      },
      DescribeRule: ({ Name, EventBusName }) => {
        const arn = rules.get(`${EventBusName ?? "default"}|${Name}`);
        if (!arn) throw new AwsServiceError(400, "ResourceNotFoundException", `Rule ${Name} does not exist on EventBus ${EventBusName ?? "default"}.`);
        return { Name, Arn: arn, EventBusName: EventBusName ?? "default", State: "ENABLED" };
      },
      StartReplay: (input) => {
        const { ReplayName, EventSourceArn, EventStartTime, EventEndTime, Destination } = input;
        if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(ReplayName ?? "")) throw new AwsServiceError(400, "ValidationException", `ReplayName ${ReplayName} is invalid.`);
        if (replays.has(ReplayName)) throw new AwsServiceError(400, "ResourceAlreadyExistsException", `Replay ${ReplayName} already exists.`);
        const archive = [...archives.values()].find((a) => a.arn === EventSourceArn);
        if (!archive) throw new AwsServiceError(400, "ResourceNotFoundException", `Archive ${EventSourceArn} does not exist.`);
        if (!(EventStartTime < EventEndTime)) throw new AwsServiceError(400, "ValidationException", "EventStartTime must be before EventEndTime.");
        if (Destination?.Arn !== archive.busArn) throw new AwsServiceError(400, "ValidationException", "Destination must be the archive's event bus.");
        const busRules = [...rules.entries()].filter(([key]) => busArn(key.split("|")[0]!) === Destination.Arn).map(([, arn]) => arn);
        for (const filter of Destination.FilterArns ?? []) {
          if (!busRules.includes(filter)) throw new AwsServiceError(400, "ValidationException", `Rule ${filter} is not a rule of the destination event bus.`);
        }
        const replay = { name: ReplayName, arn: `arn:aws:events:${region}:${accountId}:replay/${ReplayName}`, input, reads: 0 };
        replays.set(ReplayName, replay);
        return { ReplayArn: replay.arn, State: "STARTING", ReplayStartTime: Date.now() / 1000 };
      },
      DescribeReplay: ({ ReplayName }) => {
        const replay = replays.get(ReplayName);
        if (!replay) throw new AwsServiceError(400, "ResourceNotFoundException", `Replay ${ReplayName} does not exist.`);
        const state = STATES[Math.min(replay.reads++, STATES.length - 1)]!;
        const { EventStartTime: from, EventEndTime: to } = replay.input;
        return {
          ReplayName,
          ReplayArn: replay.arn,
          State: state,
          EventSourceArn: replay.input.EventSourceArn,
          Destination: replay.input.Destination,
          EventStartTime: from,
          EventEndTime: to,
          EventLastReplayedTime: state === "STARTING" ? undefined : state === "RUNNING" ? (from + to) / 2 : to,
        };
      },
    },
  );
  return Object.assign(fake, {
    addBus(busName: string, archiveName: string, ruleNames: string[]) {
      archives.set(archiveName, { arn: `arn:aws:events:${region}:${accountId}:archive/${archiveName}`, busArn: busArn(busName) });
      for (const rule of ruleNames) rules.set(`${busName}|${rule}`, `arn:aws:events:${region}:${accountId}:rule/${busName}/${rule}`);
    },
    replays,
  });
}
