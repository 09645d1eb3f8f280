/**
 * Finds every MESSAGE conversation that ended inside a window, through the
 * analytics conversation details query (`POST /api/v2/analytics/conversations/details/query`;
 * facts and sources in docs/pipelines.md, "Reconciliation"):
 * - body `ConversationQuery`: `interval` "start/end" (ISO-8601), `order`, `orderBy`,
 *   `paging {pageSize, pageNumber}` (default page size 25), `segmentFilters` / `conversationFilters`;
 * - response `AnalyticsConversationQueryResponse`: `{conversations?: [{conversationId,
 *   conversationStart, conversationEnd?, ...}], totalHits}`;
 * - results include only conversations that started on a day touched by the interval (and were
 *   active in it): a conversation that started before the window would be missed, so the first
 *   slice's interval starts `lookbackMs` earlier (the longest a conversation may stay open);
 *   results are deduplicated and filtered on conversationEnd;
 * - paging may not go past 100,000 results (400): a slice with more hits is split in two.
 */
import type { GenesysClient } from "../shared/genesys-client";
import type { TimeGuard } from "../shared/time-guard";

export const DETAILS_QUERY_PATH = "/api/v2/analytics/conversations/details/query";
/** "Pagination may not exceed 100000 results." (400) */
export const RESULT_CAP = 100_000;

interface DetailsResponse {
  conversations?: Array<{ conversationId?: string; conversationStart?: string; conversationEnd?: string }>;
  totalHits?: number;
}

/** Paces requests to a share of the Genesys rate budget: at most `perMinute` starts per minute. */
export class Pacer {
  private next = 0;
  constructor(
    private readonly perMinute: number,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Waits for the next request slot. */
  async slot(): Promise<void> {
    const now = Date.now();
    const wait = Math.max(0, this.next - now);
    this.next = Math.max(now, this.next) + 60_000 / this.perMinute;
    if (wait > 0) await this.sleep(wait);
  }
}

/** Options of {@link findEndedConversations}. */
export interface FindOptions {
  genesys: GenesysClient;
  /** [start, end) of conversationEnd, epoch ms. */
  window: { start: number; end: number };
  sliceMs: number;
  /** How long before the window a conversation ending in it may have started. */
  lookbackMs: number;
  pageSize: number;
  pacer: Pacer;
  guard: TimeGuard;
}

/** Result of {@link findEndedConversations}: conversation id -> conversationEnd (epoch ms), and the requests it made. */
export interface FoundConversations {
  ended: Map<string, number>;
  requests: number;
}

/** Every MESSAGE conversation whose conversationEnd lies in the window. */
export async function findEndedConversations(opts: FindOptions): Promise<FoundConversations> {
  const ended = new Map<string, number>();
  let requests = 0;
  const slices: Array<[number, number]> = [];
  for (let from = opts.window.start; from < opts.window.end; from += opts.sliceMs) slices.push([from, Math.min(from + opts.sliceMs, opts.window.end)]);
  // Conversations still open at the window start are active in the first slice: reach back to the day they started.
  if (slices.length) slices[0]![0] -= opts.lookbackMs;

  while (slices.length) {
    const [from, to] = slices.shift()!;
    for (let pageNumber = 1; ; pageNumber++) {
      opts.guard.check(`analytics page ${pageNumber} of ${iso(from)}/${iso(to)}`);
      await opts.pacer.slot();
      requests++;
      const page = await opts.genesys.request<DetailsResponse | undefined>("POST", DETAILS_QUERY_PATH, { body: queryBody(from, to, opts.pageSize, pageNumber) });
      const totalHits = page?.totalHits ?? 0;
      if (pageNumber === 1 && totalHits > RESULT_CAP) {
        if (to - from <= 60_000) throw new Error(`more than ${RESULT_CAP} conversations in the minute from ${iso(from)}: cannot page through them`);
        const middle = from + Math.floor((to - from) / 2);
        slices.unshift([from, middle], [middle, to]);
        break;
      }
      const conversations = page?.conversations ?? [];
      for (const c of conversations) {
        const end = c.conversationEnd ? Date.parse(c.conversationEnd) : Number.NaN;
        if (c.conversationId && end >= opts.window.start && end < opts.window.end) ended.set(c.conversationId, end);
      }
      if (conversations.length < opts.pageSize || pageNumber * opts.pageSize >= totalHits) break;
    }
  }
  return { ended, requests };
}

/** The details query of one page: ended MESSAGE conversations active in [from, to). */
export function queryBody(from: number, to: number, pageSize: number, pageNumber: number): Record<string, unknown> {
  return {
    interval: `${iso(from)}/${iso(to)}`,
    order: "asc",
    orderBy: "conversationStart",
    paging: { pageSize, pageNumber },
    segmentFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "mediaType", operator: "matches", value: "message" }] }],
    conversationFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "conversationEnd", operator: "exists" }] }],
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
