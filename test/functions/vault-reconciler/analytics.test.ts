/**
 * The reconciler's pacer on a virtual clock (a rolling minute checked exactly, over hours of
 * requests), and its search plan: which start times each analytics interval covers.
 */
import { Pacer, searchPlan } from "../../../functions/vault-reconciler/analytics";

const DAY = 86_400_000;

/** A clock that advances only when someone sleeps. */
function virtualClock(start = 0) {
  let now = start;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

/** The most starts any rolling 60 s window [t, t + 60 s) holds. */
function busiestMinute(starts: number[]): number {
  let busiest = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (j < starts.length && starts[j]! < starts[i]! + 60_000) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

describe("Pacer", () => {
  test("no rolling minute holds more than the budget, with 429 waits between attempts and across a continuation", async () => {
    const clock = virtualClock(Date.parse("2025-01-01T00:00:00Z"));
    const starts: number[] = [];
    let pacer = new Pacer(30, clock);
    for (let request = 1; request <= 400; request++) {
      await pacer.slot();
      starts.push(clock.now());
      // Every 7th attempt answers 429 with Retry-After 1 s; the retry takes its own slot next time round.
      if (request % 7 === 0) await clock.sleep(1_000);
      // A continuation invocation picks up the pace where the last one left it.
      if (request % 100 === 0 && request < 400) pacer = new Pacer(30, { ...clock, lastStart: pacer.lastStart });
    }
    expect(busiestMinute(starts)).toBe(30);
    expect(pacer.taken).toBe(100);
  });

  test("a fresh pacer starts at once; a slot is never taken before its time even if a timer fires early", async () => {
    let now = 1_000;
    const early = { now: () => now, sleep: async (ms: number) => void (now += Math.max(1, ms - 5)) };
    const pacer = new Pacer(60, early);
    await pacer.slot();
    expect(now).toBe(1_000);
    await pacer.slot();
    expect(now).toBeGreaterThanOrEqual(2_000);
  });
});

describe("searchPlan", () => {
  const window = { start: Date.parse("2024-06-01T01:00:00Z"), end: Date.parse("2024-06-03T01:00:00Z") };

  test("covers start times from 30 days before the window's day to its end, without gaps or overlaps, never across midnight", () => {
    const { slices, pageNumber } = searchPlan({ window, maxConversationDays: 30, sliceMs: 3_600_000 });
    expect(pageNumber).toBe(1);
    const [open, ...rest] = slices;
    expect(open).toEqual({ from: Date.parse("2024-05-02T00:00:00Z"), to: Date.parse("2024-05-03T00:00:00Z"), open: true });
    expect(rest[0]!.from).toBe(Date.parse("2024-05-02T00:00:00Z"));
    expect(rest[rest.length - 1]!.to).toBe(window.end);
    for (let i = 1; i < rest.length; i++) expect(rest[i]!.from).toBe(rest[i - 1]!.to);
    for (const slice of rest) expect(Math.floor(slice.from / DAY)).toBe(Math.floor((slice.to - 1) / DAY));
    // Whole days before, hours in the day before the window start, whole days (cut at its start) in the window.
    expect(rest.filter((s) => s.to <= window.start - DAY).every((s) => s.to - s.from === DAY)).toBe(true);
    expect(rest.filter((s) => s.from >= window.start - DAY + 3_600_000 && s.to <= window.start).every((s) => s.to - s.from <= 3_600_000)).toBe(true);
    expect(rest.filter((s) => s.from >= window.start).map((s) => [new Date(s.from).toISOString(), new Date(s.to).toISOString()])).toEqual([
      ["2024-06-01T01:00:00.000Z", "2024-06-02T00:00:00.000Z"],
      ["2024-06-02T00:00:00.000Z", "2024-06-03T00:00:00.000Z"],
      ["2024-06-03T00:00:00.000Z", "2024-06-03T01:00:00.000Z"],
    ]);
  });
});
