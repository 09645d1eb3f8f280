import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyDefaults, PIPELINE_DEFAULTS } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { CONVERSATION_TOPICS } from "../../config/genesys-topics";
import { deepMerge, loadEnvironments, type EnvironmentOverrides } from "../../config/load";
import { configFileJsonSchema } from "../../config/schema";
import { closestMatch } from "../../functions/shared/suggest";
import type { DeepPartial, EnvironmentConfig } from "../../config/types";
import { ConfigError, validateEnvironment } from "../../config/validate";

const dev = applyDefaults(sampleEnvironments.find((e) => e.name === "dev")!);
const prod = applyDefaults(sampleEnvironments.find((e) => e.name === "prod")!);
const problemsWith = (base: EnvironmentConfig, o: DeepPartial<EnvironmentConfig> | Record<string, unknown>) => validateEnvironment(deepMerge(base, o));

function configFile(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-strict-")), "envs.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** The ConfigError's problem list of a load that must fail. */
function loadProblems(opts: Parameters<typeof loadEnvironments>[0]): readonly string[] {
  try {
    loadEnvironments({ onWarning: () => undefined, ...opts });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the configuration to be refused");
}

describe("a value of the wrong type gets one message naming the key, the type and the value", () => {
  test("a string for a list: one line, not one per letter", () => {
    expect(problemsWith(dev, { aws: { interfaceEndpoints: "secretsmanager" } })).toEqual([
      expect.stringMatching(/^environment "dev": aws\.interfaceEndpoints must be a list of strings: .* \(got "secretsmanager"\)$/),
    ]);
  });

  test("a list for the tags map is refused, not synthesized as {\"0\": ...} in place of the project and environment tags", () => {
    expect(problemsWith(dev, { tags: ["x"] })).toEqual([expect.stringMatching(/^environment "dev": tags must be an object of names to string values: .* \(got \["x"\]\)$/)]);
    expect(problemsWith(dev, { tags: { owner: 42 } })).toEqual([expect.stringMatching(/^environment "dev": tags must be an object of names to string values: .* \(got \{.*"owner":42\}\)$/)]);
  });

  test.each([
    [{ aws: { azCount: "2" } }, /^environment "dev": aws\.azCount must be an integer: .* \(got "2"\)$/],
    [{ aws: { deletionProtection: "yes" } }, /^environment "dev": aws\.deletionProtection must be true or false: .* \(got "yes"\)$/],
    [{ aws: { azSuffixes: ["a", 2] } }, /^environment "dev": aws\.azSuffixes\[1\] must be a string: .* \(got 2\)$/],
    [{ azure: "westeurope" }, /^environment "dev": azure must be an object.* \(got "westeurope"\)$/],
  ])("%j", (override, message) => {
    expect(problemsWith(dev, override)).toEqual([expect.stringMatching(message)]);
  });

  test("a misspelled key is not followed by a second message about the key it was meant to be", () => {
    const { natGateways: _, ...aws } = dev.aws;
    const problems = validateEnvironment({ ...dev, aws: { ...aws, natGateway: 1 } as unknown as EnvironmentConfig["aws"] });
    expect(problems).toEqual(['environment "dev": aws.natGateway is not a known field; did you mean "aws.natGateways"?']);
  });
});

describe("misspelled keys fail with a suggestion", () => {
  test("in the config file: the issue's natGateway typo", () => {
    const file = configFile({ prod: { aws: { natGateway: 2 } } });
    expect(loadProblems({ env: { GCV_CONFIG_FILE: file } })).toEqual([
      'environment "prod": aws.natGateway is not a known field; did you mean "aws.natGateways"?',
    ]);
  });

  test("in cdktf context, nested under pipelines", () => {
    const contextOverrides = { dev: { pipelines: { transcriptVault: { maxConcurency: 20 } } } } as unknown as EnvironmentOverrides;
    expect(loadProblems({ env: {}, contextOverrides })).toEqual([
      'environment "dev": pipelines.transcriptVault.maxConcurency is not a known field; did you mean "pipelines.transcriptVault.maxConcurrency"?',
    ]);
  });

  test("a top-level section name", () => {
    expect(problemsWith(dev, { genesis: { orgId: dev.genesys.orgId } })).toEqual(['environment "dev": genesis is not a known field; did you mean "genesys"?']);
  });

  test("a key with no close match lists the keys allowed there", () => {
    expect(problemsWith(dev, { azure: { colour: "blue" } })).toEqual([expect.stringMatching(/azure\.colour is not a known field; known fields here: subscriptionId, location, .*sasExpiryWarningDays, auditLogRetentionDays, compliance$/)]);
  });

  test("tags stay free-form and sync rules keep their own key checks", () => {
    expect(problemsWith(dev, { tags: { "cost-center": "cc-42" } })).toEqual([]);
    const rules = [{ ...dev.pipelines.configSync.rules[0], perInstanse: 2 }];
    expect(problemsWith(dev, { pipelines: { configSync: { rules } } })).toEqual([expect.stringMatching(/pipelines\.configSync\.rules\[0\]\.perInstanse is not a known field \(did you mean "perInstance"\? expected /)]);
  });

  test("a misspelled environment name in the file", () => {
    const file = configFile({ prdo: { aws: { natGateways: 2 } } });
    expect(loadProblems({ env: { GCV_CONFIG_FILE: file } })[0]).toBe('environment "prdo" is not one of dev, staging, prod, so it must be complete; did you mean "prod"? (If "prdo" is a new environment, set "new": true in it.)');
  });

  test("a $schema key in the file is for editors, not an environment", () => {
    const file = configFile({ $schema: "./config/environments.schema.json", dev: { aws: { natGateways: 2 } } });
    const [d] = loadEnvironments({ env: { GCV_CONFIG_FILE: file, GCV_ENVIRONMENTS: "dev" } });
    expect(d.aws.natGateways).toBe(2);
  });
});

describe("GCV_* variables", () => {
  test("a misspelled field of a known environment fails instead of being ignored", () => {
    expect(loadProblems({ env: { GCV_DEV_NAT_GATEWAY: "2" } })).toEqual(["GCV_DEV_NAT_GATEWAY is not a known variable; did you mean GCV_DEV_NAT_GATEWAYS?"]);
  });

  test("a misspelled environment name", () => {
    expect(loadProblems({ env: { GCV_PRDO_NAT_GATEWAYS: "2" } })).toEqual(["GCV_PRDO_NAT_GATEWAYS is not a known variable; did you mean GCV_PROD_NAT_GATEWAYS?"]);
  });

  test("a misspelled global variable", () => {
    expect(loadProblems({ env: { GCV_ENVIRONMENT: "dev" } })).toEqual(["GCV_ENVIRONMENT is not a known variable; did you mean GCV_ENVIRONMENTS?"]);
  });

  test("nothing close: the message lists what is known", () => {
    expect(loadProblems({ env: { GCV_TELEMETRY_ENDPOINT_OVERRIDE_URL: "x" } })[0]).toMatch(
      /GCV_TELEMETRY_ENDPOINT_OVERRIDE_URL is not a known variable; known: GCV_CONFIG_FILE, GCV_ENVIRONMENTS, GCV_SYNTH_DIR, GCV_VAULT_BLOB_ENDPOINT, GCV_VAULT_MANAGEMENT_ENDPOINT and GCV_<ENV>_<FIELD> with <ENV> one of DEV, STAGING, PROD/,
    );
  });

  test("variables of an environment that only the config file defines are known", () => {
    const file = configFile({ qa: { ...dev, name: undefined, azure: { ...dev.azure, storageAccountName: "gcvaultqa7f3a" } } });
    const envs = loadEnvironments({ env: { GCV_CONFIG_FILE: file, GCV_ENVIRONMENTS: "qa", GCV_QA_NAT_GATEWAYS: "2" }, onWarning: () => undefined });
    expect(envs[0]!.aws.natGateways).toBe(2);
  });

  test("other variables are none of our business", () => {
    expect(() => loadEnvironments({ env: { GCVX_DEV: "1", MY_GCV_DEV_X: "1", PATH: "/bin" } })).not.toThrow();
  });
});

describe("suggestions use edit distance", () => {
  test.each([
    ["natGateway", ["natGateways", "azCount"], "natGateways"],
    ["AZCOUNT", ["azCount", "vpcCidr"], "azCount"],
    ["storageAcountName", ["storageAccountName", "containerName"], "storageAccountName"],
    ["xyz", ["azCount", "vpcCidr"], undefined],
  ])("%s -> %s", (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });
});

describe("topics are checked against Genesys' conversation topics", () => {
  test("every default topic is a real one", () => {
    for (const topic of [...PIPELINE_DEFAULTS.transcriptVault.topics, ...PIPELINE_DEFAULTS.interaction.topics]) expect(CONVERSATION_TOPICS).toContain(topic);
  });

  test("every topic of the catalogue is accepted", () => {
    expect(problemsWith(dev, { pipelines: { interaction: { topics: [...CONVERSATION_TOPICS] } } })).toEqual([]);
  });

  test.each([
    ["v2.detail.events.conversation.{id}.customer.ended", 'did you mean "v2.detail.events.conversation.{id}.customer.end"?'],
    ["v2.conversation.{id}.transcription", 'did you mean "v2.conversations.{id}.transcription"?'],
    ["v2.users.{id}.presence", "see docs/pipelines.md#topics for the list"],
  ])("%s is refused", (topic, hint) => {
    const problems = problemsWith(dev, { pipelines: { transcriptVault: { topics: ["v2.conversations.{id}.transcription", topic] } } });
    expect(problems).toEqual([`environment "dev": pipelines.transcriptVault.topics[1] is not a Genesys conversation topic the pipelines can consume; ${hint} (got ${JSON.stringify(topic)})`]);
  });

  test("a topic listed twice is refused", () => {
    const t = "v2.conversations.{id}.transcription";
    expect(problemsWith(dev, { pipelines: { transcriptVault: { topics: [t, t] } } })).toEqual([expect.stringMatching(/topics lists a topic twice/)]);
  });
});

describe("lists replace the defaults, with a warning when defaults are dropped", () => {
  const load = (topics: string[]) => {
    const warnings: string[] = [];
    const [d] = loadEnvironments({ env: { GCV_ENVIRONMENTS: "dev" }, contextOverrides: { dev: { pipelines: { transcriptVault: { topics } } } }, onWarning: (w) => warnings.push(w) });
    return { topics: d!.pipelines.transcriptVault.topics, warnings };
  };

  test("adding one topic without the defaults keeps only that topic and warns, naming the dropped defaults", () => {
    const { topics, warnings } = load(["v2.detail.events.conversation.{id}.acd.end"]);
    expect(topics).toEqual(["v2.detail.events.conversation.{id}.acd.end"]);
    expect(warnings).toEqual([
      'environment "dev": pipelines.transcriptVault.topics replaces the default list and leaves out "v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.customer.end"; lists are not merged, so list every entry you want (defaults included)',
    ]);
  });

  test("a list that keeps every default does not warn", () => {
    expect(load([...PIPELINE_DEFAULTS.transcriptVault.topics, "v2.detail.events.conversation.{id}.acd.end"]).warnings).toEqual([]);
  });

  test("the shipped samples synthesize without warnings", () => {
    const warnings: string[] = [];
    loadEnvironments({ env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });
});

describe("staging and production keep remote state", () => {
  test.each(["prod", "production", "staging", "stage2"])("%s without backends is refused", (name) => {
    const env = { ...prod, name, backends: undefined };
    expect(validateEnvironment(env)).toEqual([expect.stringMatching(new RegExp(`^environment "${name}": backends\\.aws and backends\\.azure must be set: "${name}" keeps its state remotely`))]);
  });

  test("one backend is not enough", () => {
    const env = { ...prod, backends: { aws: prod.backends!.aws } };
    expect(validateEnvironment(env)).toEqual([expect.stringMatching(/^environment "prod": backends\.azure must be set/)]);
  });

  test("dev may keep local state", () => {
    expect(dev.backends).toBeUndefined();
    expect(validateEnvironment(dev)).toEqual([]);
  });
});

describe("JSON Schema for editors", () => {
  test("config/environments.schema.json is generated from the key declaration (run npm run schema)", () => {
    const committed = readFileSync(path.join(__dirname, "../../config/environments.schema.json"), "utf8");
    expect(committed).toBe(`${JSON.stringify(configFileJsonSchema(), null, 2)}\n`);
  });
});
