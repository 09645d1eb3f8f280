import { parseWebhookActions, targetCapacity, validateWebhookActions } from "../../../functions/shared/webhook-actions";

const PATH = "environments.prod.webhook.actions";
const valid = {
  name: "orders-follows-queue",
  type: "adjustTableCapacity",
  tableName: "orders",
  readCapacity: { perSignal: 2, min: 5, max: 200 },
  cooldownSeconds: 300,
};

describe("validateWebhookActions", () => {
  test("accepts a well-formed action", () => {
    expect(validateWebhookActions([valid], PATH)).toEqual([]);
  });

  test("names the field of every problem", () => {
    const errors = validateWebhookActions(
      [{ name: "x y", type: "deleteTable", tableName: "t", readCapacity: { perSignal: -1, min: 0, max: 50_000 }, maxDecreasePercent: 0, bogus: 1 }],
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

describe("targetCapacity", () => {
  const scaling = { perSignal: 2, min: 5, max: 100 };
  test.each([
    // signal, current, expected
    [30, 10, 60], // scale up
    [1000, 10, 100], // clamped at max
    [0, 8, 5], // scale down to min when within the step
    [0, 80, 40], // one step removes at most half of the current capacity
    [10.2, 10, 21], // rounds up: never under-provision
  ])("signal %d with %d provisioned -> %d", (signal, current, expected) => {
    expect(targetCapacity(scaling, signal, current)).toBe(expected);
  });
});
