import { readFileSync } from "node:fs";
import path from "node:path";
import { DATA_READS, planRolePolicy, REFRESH_READS, STATE_STATEMENTS, VAULT_COORDINATES_SECRETS } from "../../lib/plan-role";
import { sampleEnv, synthStacks, type TfJson } from "../support/synth-app";

// Every shape the stacks take: the samples, and sas mode with every interface endpoint.
const stacks = synthStacks([
  sampleEnv("dev"),
  sampleEnv("staging"),
  sampleEnv("prod"),
  sampleEnv("dev", { name: "devsas", azure: { writerAuth: "sas", storageAccountName: "gcvaultdevsas1" }, aws: { interfaceEndpoints: ["secretsmanager", "states", "sqs", "logs", "sts", "kms"] } } as never),
]);
const awsTypes = new Set<string>();
for (const stack of Object.values(stacks)) {
  for (const type of [...Object.keys(stack.resource ?? {}), ...Object.keys(stack.data ?? {})]) if (type.startsWith("aws_")) awsTypes.add(type);
}
const shipped = JSON.parse(readFileSync(path.join(__dirname, "../../docs/plan-role-policy.json"), "utf8"));
const statement = (sid: string) => shipped.Statement.find((s: { Sid: string }) => s.Sid === sid);
/** IAM action matching: `*` and `?` are wildcards, case-insensitive. */
const matches = (pattern: string, action: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i").test(action);

describe("the plan role's policy (docs/plan-role-policy.json)", () => {
  test("is the policy lib/plan-role.ts builds (npm run plan-role-policy)", () => {
    expect(shipped).toEqual(planRolePolicy());
  });

  test("lists the refresh reads of every AWS resource and data source type the stacks declare, and of no other", () => {
    expect(awsTypes.size).toBeGreaterThan(30);
    expect([...awsTypes].filter((t) => !(t in REFRESH_READS))).toEqual([]);
    expect(Object.keys(REFRESH_READS).filter((t) => !awsTypes.has(t))).toEqual([]);
    const refresh = statement("RefreshMetadata").Action as string[];
    for (const type of awsTypes) for (const action of REFRESH_READS[type]!) expect({ type, action, allowed: refresh.includes(action) }).toEqual({ type, action, allowed: true });
  });

  test("its refresh statement reads no data: no object, item, message, secret value or log event", () => {
    const refresh = statement("RefreshMetadata").Action as string[];
    for (const action of refresh) {
      expect(action).not.toContain("*");
      expect({ action, dataReads: DATA_READS.filter((d) => matches(action, d)) }).toEqual({ action, dataReads: [] });
    }
    // The guard above does catch a data read, and one hidden in a wildcard.
    expect(DATA_READS.filter((d) => matches("dynamodb:*", d))).toContain("dynamodb:Scan");
    expect(DATA_READS.filter((d) => matches("secretsmanager:GetSecretValue", d))).toEqual(["secretsmanager:GetSecretValue"]);
  });

  test("reads a secret value only of the vault coordinates secrets, and decrypts only through Secrets Manager for them and S3 for the state", () => {
    const everything = shipped.Statement as Array<{ Sid: string; Action: string[]; Resource: string; Condition?: any }>;
    const withDataReads = everything.filter((s) => s.Action.some((a) => DATA_READS.some((d) => matches(a, d)))).map((s) => s.Sid);
    expect(withDataReads.sort()).toEqual(["StateDecrypt", "StateRead", "VaultCoordinatesDecrypt", "VaultCoordinatesRefresh"]);
    expect(statement("VaultCoordinatesRefresh")).toMatchObject({ Action: ["secretsmanager:GetSecretValue"], Resource: VAULT_COORDINATES_SECRETS });
    expect(statement("VaultCoordinatesDecrypt").Condition.StringLike).toEqual({ "kms:ViaService": "secretsmanager.*.amazonaws.com", "kms:EncryptionContext:SecretARN": VAULT_COORDINATES_SECRETS });
    expect(statement("StateRead")).toEqual(STATE_STATEMENTS[1]);
    expect(statement("StateRead").Resource).toBe("arn:aws:s3:::<state-bucket>/*.tfstate");
    for (const s of everything) expect(s.Action.every((a) => !/^(s3|dynamodb|sqs|sns|lambda|states|kms|secretsmanager|iam|ec2|logs|events):?[A-Z]*(Put|Create|Update|Delete|Send|Invoke|Start)/.test(a))).toBe(true);
  });
});

describe("no plan reads a secret value it must not", () => {
  test("no stack reads a secret version as a data source (a plan would read its value)", () => {
    for (const [name, stack] of Object.entries(stacks)) expect({ name, reads: Object.keys(stack.data ?? {}).filter((t) => t.startsWith("aws_secretsmanager")) }).toEqual({ name, reads: [] });
  });

  test("the only secret versions any stack manages, refreshed with GetSecretValue, are the vault coordinates (or SAS) secrets", () => {
    const vaultSecretOutputs = (aws: TfJson) =>
      Object.entries(aws.output ?? {})
        .filter(([, o]) => Object.entries(aws.resource?.aws_secretsmanager_secret ?? {}).some(([id, s]: [string, any]) => /\/azure-vault-(writer|lister)$/.test(s.name) && o.value === `\${aws_secretsmanager_secret.${id}.arn}`))
        .map(([key]) => key);
    for (const env of ["dev", "staging", "prod", "devsas"]) {
      const outputs = vaultSecretOutputs(stacks[`${env}-aws`]!);
      expect(outputs.length).toBeGreaterThan(0);
      for (const [name, stack] of Object.entries(stacks).filter(([n]) => n.startsWith(`${env}-`))) {
        for (const version of Object.values(stack.resource?.aws_secretsmanager_secret_version ?? {}) as any[]) {
          const key = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-[\w-]+\.outputs\.([\w-]+)\}$/.exec(version.secret_id)?.[1];
          expect({ name, key: outputs.includes(key!) }).toEqual({ name, key: true });
        }
      }
    }
  });
});

describe("docs/security.md: who can do what", () => {
  const security = readFileSync(path.join(__dirname, "../../docs/security.md"), "utf8");
  const table = security.slice(security.indexOf("## Who can do what"), security.indexOf("## The plan role"));

  test("has a row for every IAM role the AWS stack creates, and for the deployer, plan and people identities", () => {
    const roles = [...new Set(["dev", "devsas"].flatMap((env) => Object.values(stacks[`${env}-aws`]!.resource!.aws_iam_role as Record<string, { name: string }>).map((r) => r.name.replace(new RegExp(`^gcv-${env}-`), "gcv-<env>-"))))];
    expect(roles.length).toBeGreaterThan(5);
    for (const role of roles) expect({ role, row: table.includes(`| \`${role}\``) }).toEqual({ role, row: true });
    for (const row of ["AWS deploy role (`aws.deployerRoleArns`", "Azure deploy identity", "AWS plan role (`aws.planRoleArns`", "Azure plan identity", "owners of the vault's Entra applications (`azure.applicationOwnerObjectIds`)", "reviewers of `<env>-plan` and `<env>`"]) {
      expect({ row, found: table.includes(`| ${row}`) }).toEqual({ row, found: true });
    }
  });
});
