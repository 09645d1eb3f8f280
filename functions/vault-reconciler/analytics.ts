/**
 * Finds every MESSAGE conversation that ended inside a window, through the
 * analytics conversation details query (`POST /api/v2/analytics/conversations/details/query`;
 * facts and sources in docs/pipelines.md, "Vault reconciliation"):
 * - an interval returns only conversations that started on a day it touches (and were active
 *   in it), so conversations are searched by when they STARTED: the search covers start times
 *   from the UTC day `maxConversationDays` before the window up to the window's end, cut into
 *   slices that never cross a UTC midnight, and each slice keeps only the conversations that
 *   started inside it (slices never overlap, so a conversation is seen once);
 * - a slice that ends before the window can only hold conversations that lasted at least until
 *   the window start: its query asks for `tConversationDuration >= window start - slice end`
 *   (a conversation metric predicate with a `range`), so 30 days of search cost about one
 *   request per day instead of paging through every conversation of those days;
 * - conversations that started on the oldest searched day and had not ended by the window's end
 *   (still open, asked with `conversationEnd notExists`, or ended later) will have lasted longer
 *   than the search reaches when they end: they are reported as `outlasting`, never skipped silently;
 * - paging may not go past 100,000 results (400): a slice with more hits is split in two;
 * - the search is a serializable {@link SearchCursor}, advanced one page at a time, so a run can
 *   stop and a later invocation continue exactly where it stopped;
 * - 429 (Retry-After), 5xx and timeouts are retried within the run (exponential backoff with
 *   jitter for 5xx and timeouts); every attempt takes a slot of the {@link Pacer} first.
 */
import { BUSINESS_METRICS, countMetric } from "../shared/metrics";
import { type GenesysClient, GenesysRateLimitedError, GenesysTransientError } from "../shared/genesys-client";
import { logger } from "../shared/logger";
import { TimeBudgetError, type TimeGuard } from "../shared/time-guard";

export const DETAILS_QUERY_PATH = "/api/v2/analytics/conversations/details/query";
/** "Pagination may not exceed 100000 results." (400) */
export const RESULT_CAP = 100_000;
export const DAY_MS = 86_400_000;
/** Attempts of one page request (429, 5xx and timeouts are retried). */
export const MAX_ATTEMPTS = 6;
/** First backoff after a 5xx or timeout; doubled per attempt, with jitter, at most {@link MAX_BACKOFF_MS}. */
const BASE_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

interface DetailsResponse {
  conversations?: Array<{ conversationId?: string; conversationStart?: string; conversationEnd?: string }>;
  totalHits?: number;
}

/**
 * Paces request starts to `perMinute`: starts are at least 60 s / perMinute apart, so no
 * rolling minute ever holds more than `perMinute` of them, retries included (every attempt
 * takes a slot). `lastStart` carries the pace over to a continuation invocation.
 */
export class Pacer {
  private next: number;
  private last: number | undefined;
  private slots = 0;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(perMinute: number, opts: { lastStart?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.intervalMs = 60_000 / perMinute;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.last = opts.lastStart;
    this.next = opts.lastStart === undefined ? 0 : opts.lastStart + this.intervalMs;
  }

  /** Waits for the next request slot and takes it. */
  async slot(): Promise<void> {
    // A timer may fire a little early: check the clock again after every wait.
    for (let now = this.now(); now < this.next; now = this.now()) await this.sleep(this.next - now);
    this.last = this.now();
    this.next = this.last + this.intervalMs;
    this.slots++;
  }

  /** Slots taken (requests sent) by this pacer. */
  get taken(): number {
    return this.slots;
  }

  /** When the last slot was taken (epoch ms), if any. */
  get lastStart(): number | undefined {
    return this.last;
  }
}

/** One query interval: conversations that started in [from, to) (epoch ms, within one UTC day). */
export interface Slice {
  from: number;
  to: number;
  /** Ask for conversations still open (`conversationEnd notExists`) instead of ended ones. */
  open?: boolean;
}

/** Where a search stands: the slices still to query, and the page of the first one. */
export interface SearchCursor {
  slices: Slice[];
  pageNumber: number;
}

/** The window of conversationEnd and how far back conversations are searched. */
export interface SearchScope {
  /** [start, end) of conversationEnd, epoch ms. */
  window: { start: number; end: number };
  /** The longest a conversation may have lasted and still be found. */
  maxConversationDays: number;
  /** Length of the slices in the day before the window (shorter slices, tighter duration filters). */
  sliceMs: number;
}

/** The first cursor of a search (see the module comment for the slices). */
export function searchPlan(scope: SearchScope): SearchCursor {
  const { start, end } = scope.window;
  const oldestDay = dayFloor(start) - scope.maxConversationDays * DAY_MS;
  const cuts = new Set<number>([oldestDay, start, end]);
  for (let midnight = oldestDay + DAY_MS; midnight < end; midnight += DAY_MS) cuts.add(midnight);
  for (let cut = start - scope.sliceMs; cut > start - DAY_MS && cut > oldestDay; cut -= scope.sliceMs) cuts.add(cut);
  const sorted = [...cuts].filter((t) => t >= oldestDay && t <= end).sort((a, b) => a - b);
  const slices: Slice[] = [{ from: oldestDay, to: Math.min(oldestDay + DAY_MS, sorted[1]!), open: true }];
  for (let i = 0; i + 1 < sorted.length; i++) slices.push({ from: sorted[i]!, to: sorted[i + 1]! });
  return { slices, pageNumber: 1 };
}

/** What one page found. */
export interface PageResult {
  /** Conversations that ended in the window: id -> conversationEnd (epoch ms). */
  ended: Map<string, number>;
  /** Conversations that started on the oldest searched day and had not ended by the window's end. */
  outlasting: Array<{ conversationId: string; conversationStart: string; conversationEnd?: string }>;
  /** The cursor after this page (undefined: the search is complete). */
  cursor: SearchCursor | undefined;
}

/** What {@link nextPage} needs besides the cursor. */
export interface PageContext extends SearchScope {
  genesys: GenesysClient;
  pageSize: number;
  guard: TimeGuard;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Queries the next page of the search and advances the cursor (the given one is not changed).
 * @throws TimeBudgetError when a retry wait does not fit in the invocation: the cursor still points
 * at this page, so a continuation repeats it.
 */
export async function nextPage(cursor: SearchCursor, ctx: PageContext): Promise<PageResult> {
  const slices = cursor.slices.map((s) => ({ ...s }));
  const slice = slices[0];
  const ended = new Map<string, number>();
  const outlasting: PageResult["outlasting"] = [];
  if (!slice) return { ended, outlasting, cursor: undefined };
  const { pageNumber } = cursor;
  const page = await detailsPage(queryBody(slice, ctx, ctx.pageSize, pageNumber), ctx, `${describe(slice)} page ${pageNumber}`);
  const totalHits = page.totalHits ?? 0;
  if (pageNumber === 1 && totalHits > RESULT_CAP) {
    if (slice.to - slice.from <= 60_000) throw new Error(`more than ${RESULT_CAP} conversations in ${describe(slice)}: cannot page through them`);
    const middle = slice.from + Math.floor((slice.to - slice.from) / 2);
    slices.splice(0, 1, { ...slice, to: middle }, { ...slice, from: middle });
    return { ended, outlasting, cursor: { slices, pageNumber: 1 } };
  }
  const conversations = page.conversations ?? [];
  for (const c of conversations) {
    const start = c.conversationStart ? Date.parse(c.conversationStart) : Number.NaN;
    // The interval also returns conversations that started earlier that day: they belong to an earlier slice.
    if (!c.conversationId || !(start >= slice.from && start < slice.to)) continue;
    const end = c.conversationEnd ? Date.parse(c.conversationEnd) : Number.NaN;
    if (end >= ctx.window.start && end < ctx.window.end) ended.set(c.conversationId, end);
    else if (onOldestDay(slice, ctx) && !(end < ctx.window.end)) outlasting.push({ conversationId: c.conversationId, conversationStart: c.conversationStart!, conversationEnd: c.conversationEnd });
  }
  const lastPage = conversations.length < ctx.pageSize || pageNumber * ctx.pageSize >= totalHits;
  if (lastPage) slices.shift();
  return { ended, outlasting, cursor: slices.length ? { slices, pageNumber: lastPage ? 1 : pageNumber + 1 } : undefined };
}

/** The details query of one page of a slice (see the module comment). */
export function queryBody(slice: Slice, scope: SearchScope, pageSize: number, pageNumber: number): Record<string, unknown> {
  const predicates: Array<Record<string, unknown>> = [{ type: "dimension", dimension: "conversationEnd", operator: slice.open ? "notExists" : "exists" }];
  // Only conversations that lasted until the window can end in it.
  const minDurationMs = scope.window.start - slice.to;
  if (!slice.open && minDurationMs > 0) predicates.push({ type: "metric", metric: "tConversationDuration", range: { gte: minDurationMs } });
  return {
    interval: `${iso(slice.from)}/${iso(slice.to)}`,
    order: "asc",
    orderBy: "conversationStart",
    paging: { pageSize, pageNumber },
    segmentFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "mediaType", operator: "matches", value: "message" }] }],
    conversationFilters: [{ type: "and", predicates }],
  };
}

/** One page request, retried on 429 (after Retry-After), 5xx and timeouts (backoff with jitter). */
async function detailsPage(body: Record<string, unknown>, ctx: PageContext, what: string): Promise<DetailsResponse> {
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return (await ctx.genesys.request<DetailsResponse | undefined>("POST", DETAILS_QUERY_PATH, { body })) ?? {};
    } catch (error) {
      const rateLimited = error instanceof GenesysRateLimitedError;
      if (!(rateLimited || error instanceof GenesysTransientError) || attempt >= MAX_ATTEMPTS) throw error;
      const waitMs = rateLimited ? error.retryAfterSeconds * 1000 : backoffMs(attempt);
      if (waitMs >= ctx.guard.remainingMs()) {
        throw new TimeBudgetError(`analytics ${what}: retry in ${waitMs} ms does not fit in the invocation (${error.message})`);
      }
      logger.warn("analytics request failed; retrying", { what, attempt, waitMs, error: error.message });
      countMetric(BUSINESS_METRICS.genesysRetries);
      await sleep(waitMs);
    }
  }
}

/** Exponential backoff with jitter: 0.5-1x of 1 s, 2 s, 4 s, ... at most 30 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

function onOldestDay(slice: Slice, scope: SearchScope): boolean {
  return dayFloor(slice.from) === dayFloor(scope.window.start) - scope.maxConversationDays * DAY_MS;
}

function dayFloor(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

function describe(slice: Slice): string {
  return `${slice.open ? "open conversations started " : ""}${iso(slice.from)}/${iso(slice.to)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
