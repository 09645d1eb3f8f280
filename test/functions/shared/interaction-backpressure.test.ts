/**
 * The backpressure arithmetic: a record waiting for a workflow slot must not reach the DLQ
 * before the maximum event age, even though every hand-back counts as a receive.
 */
import {
  interactionMaxReceiveCount,
  receivesWithinMaxAge,
  slotWaitSeconds,
  SQS_MAX_RECEIVE_COUNT,
  waitFloorCapSeconds,
} from "../../../functions/shared/interaction-backpressure";

const DAY = 86_400;

test("24 h: at most 907 receives even if every wait is as short as possible; the queue allows 927 (SQS maximum 1000)", () => {
  expect(waitFloorCapSeconds(DAY)).toBe(192);
  expect(receivesWithinMaxAge(DAY)).toBe(907);
  expect(interactionMaxReceiveCount(DAY, 5)).toBe(927);
  expect(interactionMaxReceiveCount(DAY, 950)).toBe(950);
  // Every age the configuration accepts (1 hour to 7 days) fits under the SQS limit.
  for (const age of [3600, DAY, 3 * DAY, 7 * DAY]) expect(interactionMaxReceiveCount(age, 5)).toBeLessThanOrEqual(SQS_MAX_RECEIVE_COUNT);
});

test("a record that keeps losing the race, with the shortest waits the formula can produce, is still in the queue after 24 h", () => {
  let elapsed = 0;
  let receives = 0;
  while (elapsed < DAY) {
    receives++;
    // random = 0 and no backlog estimate: the shortest wait for this receive count.
    elapsed += slotWaitSeconds({ receiveCount: receives, backlog: 0, drainPerSecond: 5, maxEventAgeSeconds: DAY, random: 0 });
  }
  expect(receives).toBeLessThanOrEqual(receivesWithinMaxAge(DAY));
  expect(receives).toBeLessThan(interactionMaxReceiveCount(DAY, 5));
});

test("during a burst, waits spread uniformly over the remaining drain time (backlog / Genesys rate)", () => {
  const wait = (random: number, backlog: number) => slotWaitSeconds({ receiveCount: 1, backlog, drainPerSecond: 5, maxEventAgeSeconds: DAY, random });
  // 20,000 waiting at 5/s: 4,000 s to drain.
  expect(wait(0, 20_000)).toBe(1);
  expect(wait(0.5, 20_000)).toBe(2000);
  expect(wait(0.99, 20_000)).toBe(3960);
  // A small backlog comes back within seconds.
  expect(wait(0.99, 10)).toBeLessThanOrEqual(2);
  // No wait exceeds a quarter of the maximum age.
  expect(wait(0.99, 10_000_000)).toBeLessThanOrEqual(DAY / 4);
});
