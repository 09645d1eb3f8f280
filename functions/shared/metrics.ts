/**
 * Business metrics (Powertools Metrics, CloudWatch embedded metric format). One
 * process-wide buffer; handlers count with {@link countMetric} and call
 * {@link flushMetrics} once per invocation. The namespace is the environment's
 * (`POWERTOOLS_METRICS_NAMESPACE`, set on every function by the stack); without
 * it nothing is emitted, so a function run outside its stack writes no stray EMF.
 *
 * EMF lines go to stdout through Powertools' own console, which the Lambda JSON
 * log format leaves untouched, and CloudWatch turns them into metrics: no
 * PutMetricData permission and no extra request.
 *
 * @example
 * countMetric(BUSINESS_METRICS.eventsArchived);
 * countMetric(BUSINESS_METRICS.bytesArchived, body.length, "Bytes");
 * flushMetrics();
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { BUSINESS_METRICS, type BusinessMetricName } from "./metric-names";

export { BUSINESS_METRICS };

const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE?.trim();
/** The process-wide metrics buffer (dimension `service` = POWERTOOLS_SERVICE_NAME). */
export const metrics = new Metrics({ namespace: namespace || undefined });

/** Adds `value` to a business metric of this invocation. */
export function countMetric(name: BusinessMetricName, value = 1, unit: "Count" | "Bytes" = "Count"): void {
  if (!namespace || value <= 0) return;
  metrics.addMetric(name, unit === "Bytes" ? MetricUnit.Bytes : MetricUnit.Count, value);
}

/** Adds a per-run tally, zero included (a zero is what a graph and an alarm on "none missing" need). */
export function tallyMetric(name: BusinessMetricName, value: number): void {
  if (!namespace || value < 0) return;
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** Counts one event under a dimension value, e.g. a webhook decision; emitted at once as its own EMF line. */
export function countDimensioned(name: BusinessMetricName, dimension: string, value: string): void {
  if (!namespace) return;
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** Publishes a gauge at once (e.g. days left on a credential). */
export function gaugeMetric(name: BusinessMetricName, value: number): void {
  if (!namespace) return;
  metrics.singleMetric().addMetric(name, MetricUnit.Count, value);
}

/** Writes this invocation's metrics (one EMF line), if any. */
export function flushMetrics(): void {
  if (namespace && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
