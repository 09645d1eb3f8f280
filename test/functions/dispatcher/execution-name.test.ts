/** Execution names: deterministic per business event, legal for Step Functions, never colliding. */
import { parseEnvelope } from "../../../functions/shared/envelope";
import { EXECUTION_NAME_MAX_LENGTH, executionNameFor, interactionEventIdentity } from "../../../functions/shared/interaction-event";
import { conversationEvent, type ConversationEventFields } from "../../support/conversation-events";

const LEGAL_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const nameOf = (fields: ConversationEventFields) => executionNameFor(interactionEventIdentity(parseEnvelope(conversationEvent(fields))));

describe("execution name", () => {
  const base: ConversationEventFields = { conversationId: "5d1c0f3e-8a1b-4c2d-9e3f-0a1b2c3d4e5f", eventType: "customer.end", eventTime: 1_750_000_000_000 };

  test("is the same for a redelivery of the same event under a new EventBridge id", () => {
    expect(nameOf({ ...base, id: "delivery-1" })).toBe(nameOf({ ...base, id: "delivery-2" }));
  });

  test("differs when any part of the business identity differs", () => {
    const names = [
      nameOf(base),
      nameOf({ ...base, eventType: "customer.start" }),
      nameOf({ ...base, eventTime: base.eventTime! + 1 }),
      nameOf({ ...base, participantId: "participant-2" }),
      nameOf({ ...base, sessionId: "session-2" }),
      nameOf({ ...base, conversationId: "5d1c0f3e-8a1b-4c2d-9e3f-0a1b2c3d4e60" }),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  test("is readable: starts with the conversation id and the event type", () => {
    expect(nameOf(base)).toMatch(/^5d1c0f3e-8a1b-4c2d-9e3f-0a1b2c3d4e5f-customer_end-[0-9a-f]{20}$/);
  });

  test("replaces characters Step Functions refuses, without making distinct ids collide", () => {
    const identity = interactionEventIdentity(parseEnvelope(conversationEvent(base)));
    const dotted = executionNameFor({ ...identity, conversationId: "conv.1", key: identity.key.replace(base.conversationId!, "conv.1") });
    const underscored = executionNameFor({ ...identity, conversationId: "conv_1", key: identity.key.replace(base.conversationId!, "conv_1") });
    expect(dotted).toMatch(LEGAL_NAME);
    expect(underscored).toMatch(LEGAL_NAME);
    expect(dotted.startsWith("conv_1-customer_end-")).toBe(true);
    expect(dotted).not.toBe(underscored);
  });

  test("long ids are cut to 80 characters with a hash suffix; ids sharing a long prefix stay distinct", () => {
    const longA = `${"a".repeat(120)}-x`;
    const longB = `${"a".repeat(120)}-y`;
    const [a, b] = [nameOf({ ...base, conversationId: longA }), nameOf({ ...base, conversationId: longB })];
    expect(a).toHaveLength(EXECUTION_NAME_MAX_LENGTH);
    expect(a).toMatch(LEGAL_NAME);
    expect(a.slice(0, 59)).toBe(b.slice(0, 59));
    expect(a).not.toBe(b);
  });

  test("no collisions across many events", () => {
    const names = new Set<string>();
    for (let i = 0; i < 5000; i++) names.add(nameOf({ ...base, eventTime: base.eventTime! + i, participantId: `p-${i % 7}` }));
    expect(names.size).toBe(5000);
  });

  test("an event naming no conversation has no identity (InvalidEventError)", () => {
    const event = conversationEvent(base) as { "detail-type": string; detail: { topicName: string; eventBody: Record<string, unknown> } };
    event["detail-type"] = "v2.users.{id}.presence";
    event.detail.topicName = "v2.users.user-1.presence";
    delete event.detail.eventBody.conversationId;
    expect(() => interactionEventIdentity(parseEnvelope(event))).toThrow(expect.objectContaining({ name: "InvalidEventError", message: expect.stringMatching(/no conversation/) }));
  });
});
