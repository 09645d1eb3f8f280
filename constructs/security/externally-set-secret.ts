import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";

export interface ExternallySetSecretProps {
  /** Secret name, e.g. `gcv-dev/genesys-client`. */
  readonly name: string;
  readonly description: string;
  readonly kmsKeyArn: string;
  readonly recoveryWindowInDays: number;
}

/**
 * A Secrets Manager secret whose value Terraform never sees: this stack
 * creates the container only, and the value is put outside Terraform (or, for
 * the vault credential, by the Azure stack), so no secret lands in this
 * stack's state. Functions read and cache it at run time.
 */
export class ExternallySetSecret extends Construct {
  public readonly secret: SecretsmanagerSecret;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: ExternallySetSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.name,
      description: props.description,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.recoveryWindowInDays,
    });
    this.arn = this.secret.arn;
  }
}
