/**
 * Which pipelines call the Genesys API and the AWS secret that holds each
 * one's OAuth client.
 */

/** Pipelines whose functions call the Genesys API, each with its own OAuth client and secret. */
export const GENESYS_CLIENT_PIPELINES = ["transcript-vault", "interaction", "config-sync"] as const;
export type GenesysClientPipeline = (typeof GENESYS_CLIENT_PIPELINES)[number];

/** `gcv-<env>/genesys-<pipeline>`: the Secrets Manager secret holding that pipeline's `{"clientId","clientSecret"}`. */
export function genesysClientSecretName(awsPrefix: string, pipeline: GenesysClientPipeline): string {
  return `${awsPrefix}/genesys-${pipeline}`;
}
