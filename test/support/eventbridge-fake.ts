/**
 * A small Amazon EventBridge fake in the JSON 1.1 protocol (`X-Amz-Target:
 * AWSEvents.<Operation>`): DescribeArchive, DescribeRule (with the rule's state), StartReplay,
 * DescribeReplay and DescribeEventSource (the partner event sources shared with the
 * account: PENDING until a bus is associated, then ACTIVE; DELETED once expired). Replay names are unique (ResourceAlreadyExistsException), the
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
  /** Shares a partner event source with the account, in this state. */
  setEventSource(name: string, state: "PENDING" | "ACTIVE" | "DELETED"): void;
  /** Sets a rule's state (rules start ENABLED). */
  setRuleState(busName: string, ruleName: string, state: "ENABLED" | "DISABLED"): void;
}

export async function startEventBridgeFake(accountId = "333333333333", region = "eu-west-1"): Promise<EventBridgeFake> {
  const archives = new Map<string, { arn: string; busArn: string }>();
  const rules = new Map<string, string>(); // `${bus}|${rule}` -> ARN
  const replays = new Map<string, Replay>();
  const ruleStates = new Map<string, string>(); // `${bus}|${rule}` -> state, when not ENABLED
  const sources = new Map<string, string>(); // partner event source name -> state
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
        return { Name, Arn: arn, EventBusName: EventBusName ?? "default", State: ruleStates.get(`${EventBusName ?? "default"}|${Name}`) ?? "ENABLED" };
      },
      DescribeEventSource: ({ Name }) => {
        const state = sources.get(Name);
        if (!state) throw new AwsServiceError(400, "ResourceNotFoundException", `Event source ${Name} does not exist.`);
        return { Name, Arn: `arn:aws:events:${region}::event-source/${Name}`, CreatedBy: Name.split("/").slice(0, 3).join("/"), State: state };
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
    setEventSource: (name: string, state: string) => sources.set(name, state),
    setRuleState: (busName: string, ruleName: string, state: string) => ruleStates.set(`${busName}|${ruleName}`, state),
  });
}
