import type { EnvironmentInput } from "./types";

/**
 * Shipped sample environments. They synthesize and plan out of the box; real
 * values (account ids, org id, globally unique storage account names, backends)
 * come from a config file or environment variables: see config/load.ts and the
 * README's configuration table.
 */
const common = {
  genesys: {
    orgId: "3c7d1e8a-5b2f-4e6a-9d41-0a1b2c3d4e5f",
    regionDomain: "mypurecloud.ie",
  },
  tags: { project: "genesys-cloud-vault", "managed-by": "cdktf" },
} as const;

/**
 * Remote state of the samples that must not keep local state (staging, prod).
 * Placeholders, like the account ids: they only need to be well-formed for synth,
 * tests and `npm run plan:offline` (which plans with a throwaway local state).
 * Before the first deploy, point them at your own state bucket and storage
 * account (docs/operations.md, "State").
 */
function sampleBackends(env: string) {
  return {
    aws: { bucket: `gcv-tfstate-example-${env}` },
    azure: { resourceGroupName: "rg-genesys-vault-tfstate", storageAccountName: `gcvtfstate${env.slice(0, 4)}7f3a`, containerName: "tfstate" },
  };
}

/**
 * Sample sync rule and webhook action: the contact-center backend's Auto Scaling
 * group drives org-wide messaging capacity in Genesys, and a Genesys workflow
 * drives the provisioned capacity of an orders table.
 */
function samplePipelines(env: string) {
  return {
    configSync: {
      rules: [
        {
          name: "backend-messaging-capacity",
          source: { autoScalingGroupName: `contact-center-backend-${env}` },
          target: { kind: "orgUtilization" as const, mediaType: "message" as const, field: "maximumCapacity" as const },
          perInstance: 2,
          min: 1,
          max: 10,
          cooldownSeconds: 120,
        },
      ],
    },
    webhook: {
      actions: [
        {
          name: "orders-table-follows-queue-depth",
          type: "adjustTableCapacity" as const,
          tableName: `contact-center-orders-${env}`,
          readCapacity: { perSignal: 2, min: 5, max: 200 },
          writeCapacity: { perSignal: 1, min: 5, max: 100 },
          cooldownSeconds: 300,
        },
      ],
    },
  };
}

export const sampleEnvironments: readonly EnvironmentInput[] = [
  {
    name: "dev",
    aws: {
      accountId: "111111111111",
      region: "eu-west-1",
      azCount: 2,
      vpcCidr: "10.40.0.0/20",
      natGateways: 1,
      logRetentionDays: 14,
      archiveRetentionDays: 7,
      secretRecoveryWindowDays: 7,
      deployerRoleArns: ["arn:aws:iam::111111111111:role/gcv-deploy"],
      planRoleArns: ["arn:aws:iam::111111111111:role/gcv-plan"],
      deletionProtection: false,
      // Sample issuer: set the IssuerIdentifier of `aws iam enable-outbound-web-identity-federation` (or GCV_<ENV>_AWS_OUTBOUND_IDENTITY_ISSUER).
      outboundIdentityIssuer: "https://0d7c2a1e-4b5f-4e8a-9c3d-111111111111.tokens.sts.global.api.aws",
      // A sandbox: alarms reach no one, on purpose (production environments cannot do this).
      alarmSubscriptionOptOut: true,
    },
    // A quiet dev org sends nothing for hours: no silence alarm.
    genesys: { ...common.genesys, eventSourceSuffix: "vault-dev", maxSilenceMinutes: 0 },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-dev",
      storageAccountName: "gcvaultdev7f3a",
      replicationType: "LRS",
      containerName: "vault",
      // Dev uses the federated identity too: the same trust path as prod, and no key in dev state.
      writerAuth: "federated",
      // Sample break-glass owner of the vault's Entra applications (a user's object id); never the deploying identity.
      applicationOwnerObjectIds: ["0b1c2d3e-0000-4000-8000-000000000d01"],
      softDeleteRetentionDays: 7,
      immutabilityDays: 1,
      immutabilityLocked: false,
      coolAfterDays: 30,
      archiveAfterDays: 90,
      sasValidityDays: 30,
      sasRotationDays: 14,
      auditLogRetentionDays: 30,
    },
    tags: { ...common.tags, environment: "dev" },
    pipelines: samplePipelines("dev"),
    // dev manages the Genesys side as code; staging and prod keep the manual setup.
    // The workflow id is a placeholder: set the trigger once the workflow exists (docs/genesys-as-code.md).
    genesysStack: {
      enabled: true,
      webhookTrigger: {
        workflowId: "7b2e4c1d-9a3f-4e5b-8c6d-1f2a3b4c5d6e",
        topicName: "v2.detail.events.conversation.{id}.acd.start",
        matchCriteria: [{ jsonPath: "mediaType", operator: "Equal", value: "MESSAGE" }],
        eventTtlSeconds: 60,
      },
    },
  },
  {
    name: "staging",
    // Also the default for a name starting with stag; stated so the rule is visible here.
    production: true,
    aws: {
      accountId: "222222222222",
      region: "eu-west-1",
      azCount: 2,
      vpcCidr: "10.41.0.0/20",
      natGateways: 2,
      logRetentionDays: 30,
      archiveRetentionDays: 14,
      secretRecoveryWindowDays: 7,
      deployerRoleArns: ["arn:aws:iam::222222222222:role/gcv-deploy"],
      planRoleArns: ["arn:aws:iam::222222222222:role/gcv-plan"],
      deletionProtection: false,
      // Sample issuer: set the IssuerIdentifier of `aws iam enable-outbound-web-identity-federation` (or GCV_<ENV>_AWS_OUTBOUND_IDENTITY_ISSUER).
      outboundIdentityIssuer: "https://0d7c2a1e-4b5f-4e8a-9c3d-222222222222.tokens.sts.global.api.aws",
      alarmEmail: "genesys-vault-alerts-staging@example.com",
    },
    genesys: { ...common.genesys, eventSourceSuffix: "vault-staging", maxSilenceMinutes: 240 },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-staging",
      storageAccountName: "gcvaultstg7f3a",
      replicationType: "ZRS",
      containerName: "vault",
      writerAuth: "federated",
      // Sample break-glass owner of the vault's Entra applications (a user's object id); never the deploying identity.
      applicationOwnerObjectIds: ["0b1c2d3e-0000-4000-8000-000000000501"],
      softDeleteRetentionDays: 14,
      immutabilityDays: 7,
      immutabilityLocked: false,
      coolAfterDays: 30,
      // ZRS has no archive tier; cold is the coolest tier it supports.
      coldAfterDays: 90,
      sasValidityDays: 30,
      sasRotationDays: 14,
      auditLogRetentionDays: 90,
      // Placeholders (documentation addresses, RFC 5737): set your compliance group's object id and
      // its egress addresses before the first deploy; Azure refuses an assignment to an unknown group.
      compliance: {
        readerGroupObjectIds: ["6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"],
        networks: ["203.0.113.0/28"],
      },
    },
    tags: { ...common.tags, environment: "staging" },
    backends: sampleBackends("staging"),
    pipelines: samplePipelines("staging"),
  },
  {
    name: "prod",
    // Also the default for a name starting with prod; stated so the rule is visible here.
    production: true,
    aws: {
      accountId: "333333333333",
      region: "eu-west-1",
      azCount: 3,
      vpcCidr: "10.42.0.0/19",
      natGateways: 3,
      logRetentionDays: 365,
      archiveRetentionDays: 30,
      secretRecoveryWindowDays: 30,
      deployerRoleArns: ["arn:aws:iam::333333333333:role/gcv-deploy"],
      planRoleArns: ["arn:aws:iam::333333333333:role/gcv-plan"],
      deletionProtection: true,
      // Sample issuer: set the IssuerIdentifier of `aws iam enable-outbound-web-identity-federation` (or GCV_<ENV>_AWS_OUTBOUND_IDENTITY_ISSUER).
      outboundIdentityIssuer: "https://0d7c2a1e-4b5f-4e8a-9c3d-333333333333.tokens.sts.global.api.aws",
      alarmEmail: "genesys-vault-alerts@example.com",
      // An incident tool's SNS integration (pages the on-call engineer).
      alarmHttpsEndpoint: "https://alerts.example.com/integrations/sns/genesys-vault-prod",
    },
    genesys: { ...common.genesys, eventSourceSuffix: "vault-prod" },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-prod",
      storageAccountName: "gcvaultprod7f3a",
      replicationType: "RAGZRS",
      containerName: "vault",
      writerAuth: "federated",
      // Sample break-glass owner of the vault's Entra applications (a user's object id); never the deploying identity.
      applicationOwnerObjectIds: ["0b1c2d3e-0000-4000-8000-000000000f01"],
      softDeleteRetentionDays: 30,
      immutabilityDays: 2555,
      immutabilityLocked: true,
      coolAfterDays: 30,
      // RAGZRS has no archive tier; cold is the coolest tier it supports.
      coldAfterDays: 180,
      sasValidityDays: 30,
      sasRotationDays: 14,
      auditLogRetentionDays: 365,
      // Placeholders, as in staging: the compliance officers' group, the legal team's group (the
      // only one that may place holds) and their egress addresses (RFC 5737 documentation ranges).
      compliance: {
        readerGroupObjectIds: ["6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"],
        networks: ["203.0.113.0/28", "198.51.100.7"],
        legalHoldGroupObjectIds: ["8e2d3c4b-5a6f-4071-9b8c-0d1e2f3a4b5c"],
      },
    },
    tags: { ...common.tags, environment: "prod" },
    backends: sampleBackends("prod"),
    pipelines: samplePipelines("prod"),
  },
];
