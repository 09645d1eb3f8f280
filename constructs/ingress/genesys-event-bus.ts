import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { Construct } from "constructs";

export interface GenesysEventBusProps {
  /** Full partner event source name: `aws.partner/genesys.com/cloud/<orgId>/<suffix>`. */
  readonly partnerEventSourceName: string;
  /** Archive name (letters, digits, `.`, `-`, `_`; at most 48 characters). */
  readonly archiveName: string;
  /** Days the archive keeps events for replay; 0 keeps them indefinitely. */
  readonly archiveRetentionDays: number;
  /** KMS key that encrypts events on the bus. */
  readonly kmsKeyArn: string;
}

/**
 * The event bus on the Genesys Cloud partner event source. Its name and event
 * source are the full source name (never a prefix lookup, which breaks with a
 * second integration); creating it activates the PENDING partner source. An
 * archive keeps every event so they can be replayed after an outage.
 */
export class GenesysEventBus extends Construct {
  public readonly bus: CloudwatchEventBus;
  public readonly archive: CloudwatchEventArchive;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: GenesysEventBusProps) {
    super(scope, id);
    this.bus = new CloudwatchEventBus(this, "bus", {
      name: props.partnerEventSourceName,
      eventSourceName: props.partnerEventSourceName,
      kmsKeyIdentifier: props.kmsKeyArn,
    });
    // Provider 5.100 cannot set an archive CMK: the archive uses an AWS-owned key.
    this.archive = new CloudwatchEventArchive(this, "archive", {
      name: props.archiveName,
      description: "Every Genesys Cloud event, for replay after an outage",
      eventSourceArn: this.bus.arn,
      retentionDays: props.archiveRetentionDays,
    });
    this.name = this.bus.name;
    this.arn = this.bus.arn;
  }
}
