/**
 * The Genesys Cloud notification topics the pipelines can consume: conversation
 * topics, which carry the conversation id the archiver and the interaction
 * workflow key on. Topic names are EventBridge `detail-type`s with `{id}`
 * placeholders. Sources: the conversation detail event topics of Genesys'
 * notification catalogue (`GET /api/v2/notifications/availabletopics`, modelled in
 * the platform SDKs as `<Name>DetailEventTopic<Name>Event`), and the voice
 * transcription topic. There is no `agent.end`: an agent leaving is `user.end`.
 */

/** Suffixes of `v2.detail.events.conversation.{id}.<suffix>`. */
export const CONVERSATION_DETAIL_EVENTS = [
  "customer.start",
  "customer.end",
  "acd.start",
  "acd.end",
  "user.start",
  "user.end",
  "flow.start",
  "flow.end",
  "flow.outcome",
  "acw",
  "wrapup",
  "attributes",
  "contact",
  "outbound",
  "voicemail.start",
  "voicemail.end",
] as const;

/** Every topic a pipeline's `topics` list may name. */
export const CONVERSATION_TOPICS: readonly string[] = [
  "v2.conversations.{id}.transcription",
  ...CONVERSATION_DETAIL_EVENTS.map((suffix) => `v2.detail.events.conversation.{id}.${suffix}`),
];
