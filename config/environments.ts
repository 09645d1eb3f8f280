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
      deletionProtection: false,
    },
    genesys: { ...common.genesys, eventSourceSuffix: "vault-dev" },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-dev",
      storageAccountName: "gcvaultdev7f3a",
      replicationType: "LRS",
      containerName: "vault",
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
  },
  {
    name: "staging",
    aws: {
      accountId: "222222222222",
      region: "eu-west-1",
      azCount: 2,
      vpcCidr: "10.41.0.0/20",
      natGateways: 2,
      logRetentionDays: 30,
      archiveRetentionDays: 14,
      secretRecoveryWindowDays: 7,
      deletionProtection: false,
    },
    genesys: { ...common.genesys, eventSourceSuffix: "vault-staging" },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-staging",
      storageAccountName: "gcvaultstg7f3a",
      replicationType: "ZRS",
      containerName: "vault",
      softDeleteRetentionDays: 14,
      immutabilityDays: 7,
      immutabilityLocked: false,
      coolAfterDays: 30,
      archiveAfterDays: 90,
      sasValidityDays: 30,
      sasRotationDays: 14,
      auditLogRetentionDays: 90,
    },
    tags: { ...common.tags, environment: "staging" },
    pipelines: samplePipelines("staging"),
  },
  {
    name: "prod",
    aws: {
      accountId: "333333333333",
      region: "eu-west-1",
      azCount: 3,
      vpcCidr: "10.42.0.0/19",
      natGateways: 3,
      logRetentionDays: 365,
      archiveRetentionDays: 30,
      secretRecoveryWindowDays: 30,
      deletionProtection: true,
    },
    genesys: { ...common.genesys, eventSourceSuffix: "vault-prod" },
    azure: {
      location: "westeurope",
      resourceGroupName: "rg-genesys-vault-prod",
      storageAccountName: "gcvaultprod7f3a",
      replicationType: "RAGZRS",
      containerName: "vault",
      softDeleteRetentionDays: 30,
      immutabilityDays: 2555,
      immutabilityLocked: true,
      coolAfterDays: 30,
      archiveAfterDays: 180,
      sasValidityDays: 30,
      sasRotationDays: 14,
      auditLogRetentionDays: 365,
    },
    tags: { ...common.tags, environment: "prod" },
    pipelines: samplePipelines("prod"),
  },
];
