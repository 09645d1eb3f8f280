import {
  desiredValue,
  messageGroupIdOf,
  parseSyncRules,
  syncRoutes,
  targetFieldKey,
  validateSyncRules,
  type SyncRule,
} from "../../../functions/shared/sync-rules";

const PATH = "environments.prod.configSync.rules";

const valid = (overrides: Partial<SyncRule> = {}): SyncRule => ({
  name: "backend-messaging",
  source: { autoScalingGroupName: "backend-asg" },
  target: { kind: "orgUtilization", mediaType: "message", field: "maximumCapacity" },
  perInstance: 2,
  min: 1,
  max: 10,
  ...overrides,
});

describe("validateSyncRules", () => {
  test("accepts each target kind", () => {
    expect(
      validateSyncRules(
        [
          valid(),
          valid({ name: "agent", target: { kind: "userUtilization", userId: "2f6e1c2a-9d1b-4c1e-8a51-7f5f3b0e9d11", mediaType: "chat", field: "maximumCapacity" } }),
          valid({ name: "acw", target: { kind: "queueField", queueId: "q-1", field: "acwSettings.timeoutMs" }, max: 60000, cooldownSeconds: 300 }),
        ],
        PATH,
      ),
    ).toEqual([]);
  });

  test("names the field of every problem", () => {
    const errors = validateSyncRules(
      [
        {
          name: "bad name!",
          source: {},
          target: { kind: "orgUtilization", mediaType: "video", field: "capacity" },
          perInstance: -1,
          min: 5,
          max: 2.5,
          cooldownSeconds: -3,
          extra: true,
        },
      ],
      PATH,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        `${PATH}[0].extra is not a known field (expected name, source, target, perInstance, min, max, cooldownSeconds)`,
        expect.stringContaining(`${PATH}[0].name must be`),
        expect.stringContaining(`${PATH}[0].source.autoScalingGroupName must be`),
        expect.stringContaining(`${PATH}[0].target.mediaType must be one of call, callback, chat, email, message`),
        expect.stringContaining(`${PATH}[0].target.field must be "maximumCapacity"`),
        `${PATH}[0].perInstance must be a finite number >= 0`,
        `${PATH}[0].max must be an integer`,
        `${PATH}[0].min (5) must not exceed ${PATH}[0].max (2.5)`,
        `${PATH}[0].cooldownSeconds must be an integer from 0 to 86400`,
      ]),
    );
  });

  test("maximumCapacity bounds stay within Genesys' 0-25", () => {
    expect(validateSyncRules([valid({ max: 26 })], PATH)).toEqual([
      `${PATH}[0].max (26) exceeds 25, the largest maximumCapacity Genesys accepts`,
    ]);
    expect(validateSyncRules([valid({ min: 0, max: 25 })], PATH)).toEqual([]);
  });

  test("queue fields must be dotted paths and never identity or server-managed fields", () => {
    const queueRule = (field: string) => valid({ target: { kind: "queueField", queueId: "q-1", field }, max: 100 });
    expect(validateSyncRules([queueRule("acwSettings..timeoutMs")], PATH)).toEqual([expect.stringContaining(`${PATH}[0].target.field must be a field name or dotted path`)]);
    expect(validateSyncRules([queueRule("name")], PATH)).toEqual([expect.stringContaining("is an identity or server-managed queue field")]);
    expect(validateSyncRules([queueRule("division.id")], PATH)).toEqual([expect.stringContaining("is an identity or server-managed queue field")]);
  });

  test("refuses an unknown target kind, a missing queue id and non-arrays", () => {
    expect(validateSyncRules([valid({ target: { kind: "queueCapacity" } as never })], PATH)).toEqual([
      `${PATH}[0].target.kind must be "orgUtilization", "userUtilization" or "queueField"`,
    ]);
    expect(validateSyncRules([valid({ target: { kind: "queueField", field: "acwSettings.timeoutMs" } as never })], PATH)).toEqual([
      `${PATH}[0].target.queueId must be a Genesys queue id`,
    ]);
    expect(validateSyncRules({}, PATH)).toEqual([`${PATH} must be an array of sync rules`]);
  });

  test("refuses duplicate names and two rules writing one field", () => {
    const errors = validateSyncRules([valid(), valid(), valid({ name: "other", source: { autoScalingGroupName: "other-asg" } })], PATH);
    expect(errors).toEqual([
      `${PATH}[1].name "backend-messaging" is already used by ${PATH}[0]`,
      `${PATH}[1].target writes utilization-org/utilization.message.maximumCapacity, already written by ${PATH}[0]`,
      `${PATH}[2].target writes utilization-org/utilization.message.maximumCapacity, already written by ${PATH}[0]`,
    ]);
  });
});

describe("parseSyncRules", () => {
  test("returns valid rules and throws one error listing every problem otherwise", () => {
    expect(parseSyncRules(JSON.stringify([valid()]))).toEqual([valid()]);
    expect(() => parseSyncRules("[{")).toThrow(/^SYNC_RULES is not valid JSON/);
    expect(() => parseSyncRules(JSON.stringify([valid({ min: 11 })]))).toThrow("SYNC_RULES is invalid:\n- SYNC_RULES[0].min (11) must not exceed SYNC_RULES[0].max (10)");
  });
});

describe("desiredValue", () => {
  test.each([
    [0, 1], // below min: clamped up
    [3, 6],
    [5, 10],
    [50, 10], // above max: clamped down
  ])("%i instances -> %i", (instances, expected) => {
    expect(desiredValue(valid(), instances)).toBe(expected);
  });

  test("fractional perInstance rounds down, so capacity never exceeds what instances support", () => {
    expect(desiredValue({ perInstance: 0.5, min: 0, max: 25 }, 5)).toBe(2);
  });
});

describe("message groups", () => {
  test("every rule writing one Genesys object shares its message group; fields stay distinct", () => {
    const org = { kind: "orgUtilization", mediaType: "message", field: "maximumCapacity" } as const;
    const orgChat = { ...org, mediaType: "chat" } as const;
    const acw = { kind: "queueField", queueId: "q-1", field: "acwSettings.timeoutMs" } as const;
    const alerting = { kind: "queueField", queueId: "q-1", field: "mediaSettings.call.alertingTimeoutSeconds" } as const;
    expect(messageGroupIdOf(org)).toBe(messageGroupIdOf(orgChat));
    expect(messageGroupIdOf(acw)).toBe(messageGroupIdOf(alerting));
    expect(messageGroupIdOf(acw)).not.toBe(messageGroupIdOf({ ...acw, queueId: "q-2" }));
    expect(messageGroupIdOf({ kind: "userUtilization", userId: "u-1", mediaType: "chat", field: "maximumCapacity" })).toBe("utilization-user-u-1");
    expect(targetFieldKey(acw)).not.toBe(targetFieldKey(alerting));
  });

  test("syncRoutes lists one route per Auto Scaling group and message group", () => {
    const rules = [
      valid(),
      valid({ name: "chat", target: { kind: "orgUtilization", mediaType: "chat", field: "maximumCapacity" } }),
      valid({ name: "acw", target: { kind: "queueField", queueId: "q-1", field: "acwSettings.timeoutMs" }, max: 100 }),
    ];
    expect(syncRoutes(rules)).toEqual([
      { autoScalingGroupName: "backend-asg", messageGroupId: "utilization-org", ruleNames: ["backend-messaging", "chat"] },
      { autoScalingGroupName: "backend-asg", messageGroupId: "queue-q-1", ruleNames: ["acw"] },
    ]);
  });
});
