import { InvalidEventError, parseEnvelope, topicSuffix } from "../../../functions/shared/envelope";
import { customerEndEvent, genesysEnvelope, transcriptionEvent } from "../../support/events";

const CID = "5d1c2f9a-1111-2222-3333-444455556666";

function reasonOf(input: unknown, opts = {}): string {
  try {
    parseEnvelope(input, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).name).toBe("InvalidEventError");
    return (error as Error).message;
  }
  throw new Error("expected InvalidEventError");
}

describe("parseEnvelope", () => {
  test("parses a transcription event from SQS body text", () => {
    const envelope = transcriptionEvent({ conversationId: CID, id: "evt-1" });
    const event = parseEnvelope(JSON.stringify(envelope));
    expect(event).toMatchObject({
      id: "evt-1",
      detailType: "v2.conversations.{id}.transcription",
      topicName: `v2.conversations.${CID}.transcription`,
      conversationId: CID,
      time: "2024-05-01T10:15:30Z",
      timestamp: "2024-05-01T10:15:30.123Z",
    });
    expect(event.eventTime.toISOString()).toBe("2024-05-01T10:15:30.123Z");
    expect(event.correlationId).toEqual(expect.any(String));
  });

  test("takes the conversation id of a detail event from its topic and accepts an object input", () => {
    const event = parseEnvelope(customerEndEvent({ conversationId: CID }));
    expect(event.conversationId).toBe(CID);
    expect(event.eventBody.mediaType).toBe("MESSAGE");
    expect(topicSuffix(event.detailType)).toBe("customer.end");
  });

  test("uses eventBody.conversationId for topics without a conversation placeholder; none for others", () => {
    const presence = genesysEnvelope({ detailType: "v2.users.{id}.presence", ids: ["user-1"], eventBody: { presenceDefinition: {} } });
    expect(parseEnvelope(presence).conversationId).toBeUndefined();
  });

  test("falls back to the envelope time when detail.timestamp is absent", () => {
    const envelope = transcriptionEvent({ conversationId: CID }) as any;
    delete envelope.detail.timestamp;
    expect(parseEnvelope(envelope).eventTime.toISOString()).toBe("2024-05-01T10:15:30.000Z");
  });

  test.each([
    ["not JSON", "{oops", /^body is not valid JSON/],
    ["an array", "[]", /^event is not a JSON object$/],
    ["no id", { ...transcriptionEvent({ conversationId: CID }), id: undefined }, /^id is missing$/],
    ["a path in the id", { ...transcriptionEvent({ conversationId: CID }), id: "../x" }, /^id "\.\.\/x" has characters/],
    ["a bad time", { ...transcriptionEvent({ conversationId: CID }), time: "yesterday" }, /^time "yesterday" is not an ISO 8601 date$/],
    ["no detail", { ...transcriptionEvent({ conversationId: CID }), detail: undefined }, /^detail is missing or not an object$/],
  ])("rejects %s with a clear reason", (_label, input, reason) => {
    expect(reasonOf(input)).toMatch(reason);
  });

  test("rejects a topicName that does not match its detail-type, and mismatched conversation ids", () => {
    const mismatch = transcriptionEvent({ conversationId: CID }) as any;
    mismatch.detail.topicName = `v2.users.${CID}.presence`;
    expect(reasonOf(mismatch)).toMatch(/does not match detail-type/);
    const otherBody = transcriptionEvent({ conversationId: CID }) as any;
    otherBody.detail.eventBody.conversationId = "someone-else";
    expect(reasonOf(otherBody)).toMatch(/conversation id differs/);
  });

  test("rejects bodies over maxBytes before parsing them", () => {
    const body = JSON.stringify(transcriptionEvent({ conversationId: CID }));
    expect(parseEnvelope(body, { maxBytes: Buffer.byteLength(body) }).id).toBeDefined();
    expect(reasonOf(body, { maxBytes: 100 })).toMatch(new RegExp(`^body is ${Buffer.byteLength(body)} bytes, over the 100-byte limit$`));
  });
});
