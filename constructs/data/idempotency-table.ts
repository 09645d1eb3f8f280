import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";

export interface IdempotencyTableProps {
  readonly tableName: string;
  readonly kmsKeyArn: string;
  /** Refuse `terraform destroy` of the table. */
  readonly deletionProtection: boolean;
}

/**
 * The idempotency table in the schema Powertools' DynamoDBPersistenceLayer
 * expects: partition key `id` (string) and TTL on `expiration`, so records of
 * handled events expire on their own. On-demand, encrypted with the
 * environment key, with point-in-time recovery.
 */
export class IdempotencyTable extends Construct {
  public readonly table: DynamodbTable;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "id",
      attribute: [{ name: "id", type: "S" }],
      ttl: { attributeName: "expiration", enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: props.deletionProtection,
    });
    this.name = this.table.name;
    this.arn = this.table.arn;
  }
}
