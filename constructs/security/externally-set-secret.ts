import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { type IResolveContext, Lazy, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { policyDocument } from "../../lib/iam";

export interface ExternallySetSecretProps {
  /** Secret name, e.g. `gcv-dev/genesys-client`. */
  readonly name: string;
  readonly description: string;
  readonly kmsKeyArn: string;
  readonly recoveryWindowInDays: number;
  /** Roles that deploy the stacks and put the value: with the readers and planners, the only principals the secret admits. */
  readonly deployerRoleArns: readonly string[];
  /** Roles that plan the stacks: they may read the secret's metadata ({@link PLAN_REFRESH_ACTIONS}) and nothing else. */
  readonly planRoleArns: readonly string[];
  /**
   * Let the plan roles read the value too: only for a secret that a `aws_secretsmanager_secret_version`
   * resource of another stack writes, since the provider refreshes that resource with
   * `GetSecretValue` (the vault coordinates; in `sas` mode the SAS, see docs/security.md).
   * @default false
   */
  readonly planReadsValue?: boolean;
}

/** What a reader may do with a secret. */
const READ_ACTIONS = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"];

/**
 * What the AWS provider calls to refresh a secret and its policy: `aws_secretsmanager_secret`
 * reads with `DescribeSecret` and `GetResourcePolicy`, `aws_secretsmanager_secret_policy` with
 * `GetResourcePolicy` (hashicorp/terraform-provider-aws internal/service/secretsmanager/secret.go,
 * secret_policy.go). `aws_secretsmanager_secret_version` reads with `GetSecretValue`
 * (secret_version.go), which a plan role gets only where `planReadsValue` says so.
 */
export const PLAN_REFRESH_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"];

/**
 * A Secrets Manager secret whose value Terraform never sees: this stack
 * creates the container only, and the value is put outside Terraform (or, for
 * the vault credential, by the Azure stack), so no secret lands in this
 * stack's state. Functions read and cache it at run time.
 *
 * Every secret gets a resource policy that denies every principal except its
 * readers and the deployer roles, and denies the readers anything but reading.
 * The readers are found, not declared: every role in the stack whose inline
 * policy allows `secretsmanager:GetSecretValue` on this secret, so a grant and
 * the secret's policy can never disagree.
 */
export class ExternallySetSecret extends Construct {
  public readonly secret: SecretsmanagerSecret;
  public readonly arn: string;
  public readonly policy: SecretsmanagerSecretPolicy;

  constructor(scope: Construct, id: string, props: ExternallySetSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.name,
      description: props.description,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.recoveryWindowInDays,
    });
    this.arn = this.secret.arn;
    this.policy = new SecretsmanagerSecretPolicy(this, "policy", {
      secretArn: this.secret.arn,
      // Rendered at synth, when every role and grant of the stack exists.
      policy: Lazy.stringValue({ produce: (context) => this.renderPolicy(context, props) }),
      blockPublicPolicy: true,
    });
  }

  /** ARNs (as Terraform references) of the roles of this stack that may read the secret, sorted. */
  private readerRoleArns(context: IResolveContext): string[] {
    const stack = TerraformStack.of(this);
    const resolve = (value: unknown) => context.resolve(value) as string;
    const self = resolve(this.secret.arn);
    const roles = stack.node.findAll().filter((c): c is IamRole => c instanceof IamRole);
    const readers = new Set<string>();
    for (const grant of stack.node.findAll().filter((c): c is IamRolePolicy => c instanceof IamRolePolicy)) {
      const doc = JSON.parse(resolve(grant.policyInput) as string) as { Statement: Array<{ Effect: string; Action: string | string[]; Resource?: string | string[] }> };
      const reads = doc.Statement.some(
        (st) => st.Effect === "Allow" && [st.Action].flat().includes("secretsmanager:GetSecretValue") && [st.Resource ?? []].flat().includes(self),
      );
      if (!reads) continue;
      const role = roles.find((r) => resolve(r.id) === resolve(grant.roleInput));
      if (!role) throw new Error(`${grant.node.path} grants reading ${this.node.path} to a role outside this stack`);
      readers.add(resolve(role.arn) as string);
    }
    return [...readers].sort();
  }

  private renderPolicy(context: IResolveContext, props: ExternallySetSecretProps): string {
    const readers = this.readerRoleArns(context);
    const planners = props.planRoleArns;
    const planActions = props.planReadsValue ? [...PLAN_REFRESH_ACTIONS, "secretsmanager:GetSecretValue"] : PLAN_REFRESH_ACTIONS;
    return policyDocument(
      {
        Sid: "OnlyReadersDeployersAndPlanners",
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:*",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": [...readers, ...props.deployerRoleArns, ...planners] } },
      },
      ...(planners.length
        ? [
            {
              Sid: props.planReadsValue ? "PlannersRefreshOnly" : "PlannersReadMetadataOnly",
              Effect: "Deny" as const,
              Principal: "*" as const,
              NotAction: planActions,
              Resource: "*",
              Condition: { ArnEquals: { "aws:PrincipalArn": [...planners] } },
            },
          ]
        : []),
      ...(readers.length
        ? [
            {
              Sid: "ReadersOnlyRead",
              Effect: "Deny" as const,
              Principal: "*" as const,
              NotAction: READ_ACTIONS,
              Resource: "*",
              Condition: { ArnEquals: { "aws:PrincipalArn": readers } },
            },
          ]
        : []),
    );
  }
}
