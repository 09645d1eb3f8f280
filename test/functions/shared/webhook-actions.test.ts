import {
  consumptionFloor,
  parseWebhookActions,
  targetCapacity,
  validateWebhookActions,
} from "../../../functions/shared/webhook-actions";

const PATH = "environments.prod.webhook.actions";
const valid = {
  name: "orders-follows-queue",
  type: "adjustTableCapacity",
  tableName: "orders",
  readCapacity: { perSignal: 2, min: 5, max: 200 },
  cooldownSeconds: 300,
};

describe("validateWebhookActions", () => {
  test("accepts a well-formed action, with or without the optional tuning fields", () => {
    expect(validateWebhookActions([valid], PATH)).toEqual([]);
    const tuned = { ...valid, maxDecreasePercent: 50, consumptionWindowMinutes: 60, consumptionHeadroomPercent: 0 };
    expect(validateWebhookActions([tuned], PATH)).toEqual([]);
  });

  test("names the field of every problem", () => {
    const errors = validateWebhookActions(
      [{ name: "x y", type: "deleteTable", tableName: "t", readCapacity: { perSignal: -1, min: 0, max: 50_000 }, maxDecreasePercent: 0, bogus: 1,
          consumptionWindowMinutes: 0, consumptionHeadroomPercent: 5.5 }],
      PATH,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${PATH}[0].bogus is not a known field`),
        expect.stringContaining(`${PATH}[0].name must be`),
        `${PATH}[0].type must be "adjustTableCapacity"`,
        expect.stringContaining(`${PATH}[0].tableName must be a DynamoDB table name`),
        `${PATH}[0].readCapacity.perSignal must be a finite number >= 0`,
        `${PATH}[0].readCapacity.min must be an integer from 1 to 40000 (DynamoDB capacity units)`,
        `${PATH}[0].readCapacity.max must be an integer from 1 to 40000 (DynamoDB capacity units)`,
        `${PATH}[0].maxDecreasePercent must be an integer from 1 to 100`,
        `${PATH}[0].consumptionWindowMinutes must be an integer from 1 to 1440`,
        `${PATH}[0].consumptionHeadroomPercent must be an integer from 0 to 1000`,
      ]),
    );
  });

  test("a misspelled key names the key that was meant", () => {
    const errors = validateWebhookActions([{ ...valid, cooldownSecond: 60, readCapacity: { ...valid.readCapacity, maxx: 10 } }], PATH);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${PATH}[0].cooldownSecond is not a known field (did you mean "cooldownSeconds"?`),
        expect.stringContaining(`${PATH}[0].readCapacity.maxx is not a known field (did you mean "max"?`),
      ]),
    );
  });

  test("requires at least one dimension and unique names", () => {
    expect(validateWebhookActions([{ ...valid, readCapacity: undefined }], PATH)).toEqual([`${PATH}[0] must set readCapacity, writeCapacity or both`]);
    expect(validateWebhookActions([valid, valid], PATH)).toEqual([`${PATH}[1].name "orders-follows-queue" is already used by ${PATH}[0]`]);
  });

  test("parseWebhookActions throws one error listing the problems", () => {
    expect(() => parseWebhookActions(JSON.stringify([{ ...valid, cooldownSeconds: -1 }]))).toThrow(
      "WEBHOOK_ACTIONS is invalid:\n- WEBHOOK_ACTIONS[0].cooldownSeconds must be an integer from 0 to 86400",
    );
  });
});

describe("consumptionFloor", () => {
  test.each([
    // per-second values of each minute, headroom %, floor
    [[], 20, 0], // no datapoints: no traffic
    [[0, 0], 20, 0],
    [[10, 41.5, 30], 20, 50], // busiest minute 41.5 x 1.2 = 49.8 -> 50
    [[40], 20, 48], // exactly 48, not 49 from float noise
    [[0.1], 0, 1], // any use needs a whole unit
    [[25], 100, 50],
  ])("%j with %d%% headroom -> %d", (perSecond, headroom, expected) => {
    expect(consumptionFloor(perSecond, headroom)).toBe(expected);
  });
});

describe("targetCapacity", () => {
  const scaling = { perSignal: 2, min: 5, max: 100 };
  test.each([
    // signal, current, floor, expected
    [30, 10, 0, 60], // scale up
    [1000, 10, 0, 100], // clamped at max
    [0, 80, 0, 5], // nothing consumed: down to min in one step
    [10.2, 10, 0, 21], // rounds up: never under-provision
    [5, 80, 30, 30], // a decrease stops at the consumption floor
    [5, 20, 30, 30], // the floor also lifts a value under it when increasing
    [50, 80, 30, 100], // the signal above the floor wins
    [0, 40, 150, 100], // consumption above max: increase only up to max
    [0, 150, 250, 150], // consumption above max and current: no decrease at all
    [0, 150, 120, 120], // current above max, consumption between: decrease only to the floor
    [0, 150, 60, 60], // current above max, consumption below max: down to the floor, within bounds
  ])("signal %d, %d provisioned, floor %d -> %d", (signal, current, floor, expected) => {
    expect(targetCapacity(scaling, signal, current, floor)).toBe(expected);
  });

  test("maxDecreasePercent, when set, limits one step on top of the floor", () => {
    expect(targetCapacity(scaling, 0, 80, 0, 50)).toBe(40);
    expect(targetCapacity(scaling, 0, 80, 60, 50)).toBe(60);
    expect(targetCapacity(scaling, 100, 80, 0, 50)).toBe(100); // never limits an increase
  });
});
