import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { loadEnvironments } from "../../config/load";
import { configFileJsonSchema } from "../../config/schema";
import { synthStacks } from "../support/synth-app";

const EXAMPLE = path.join(__dirname, "../../config/examples/new-environment.json");
const validateFile = new Ajv2020({ allErrors: true, strict: true }).compile(configFileJsonSchema());

describe("config/examples/new-environment.json", () => {
  const warnings: string[] = [];
  const load = () => loadEnvironments({ env: { GCV_CONFIG_FILE: EXAMPLE, GCV_ENVIRONMENTS: "qa" }, onWarning: (w) => warnings.push(w) });

  test("is a complete new environment that validates, without warnings", () => {
    const [qa] = load();
    expect(qa!.name).toBe("qa");
    expect(qa!.pipelines.transcriptVault.topics).toContain("v2.detail.events.conversation.{id}.voicemail.end");
    expect(warnings).toEqual([]);
  });

  test("synthesizes both stacks", () => {
    const stacks = synthStacks(load());
    expect(Object.keys(stacks).sort()).toEqual(["qa-aws", "qa-azure"]);
  });

  test("matches the editors' JSON Schema", () => {
    const ok = validateFile(JSON.parse(readFileSync(EXAMPLE, "utf8")));
    expect(validateFile.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe("adding an environment by copying the example and renaming its key", () => {
  const example = JSON.parse(readFileSync(EXAMPLE, "utf8"));
  /** Loads the example under another name, with `change` applied to its environment. */
  function loadRenamed(name: string, change: (env: any) => void = () => undefined) {
    const env = structuredClone(example.qa);
    change(env);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-new-env-")), "envs.json");
    writeFileSync(file, JSON.stringify({ [name]: env }));
    const warnings: string[] = [];
    const loaded = loadEnvironments({ env: { GCV_CONFIG_FILE: file, GCV_ENVIRONMENTS: name }, onWarning: (w) => warnings.push(w) });
    return { env: loaded[0]!, warnings };
  }

  test("the name-bound values follow the new name: environment tag and event source suffix", () => {
    const { env, warnings } = loadRenamed("uat");
    expect(env.tags).toEqual({ project: "genesys-cloud-vault", "managed-by": "cdktf", "cost-center": "cc-contact-center", environment: "uat" });
    expect(env.genesys.eventSourceSuffix).toBe("vault-uat");
    expect(warnings).toEqual([]);
  });

  test("values copied from another environment are kept, with a warning naming each", () => {
    const { env, warnings } = loadRenamed("uat", (e) => {
      e.tags.environment = "qa";
      e.genesys.eventSourceSuffix = "vault-qa";
    });
    expect(env.tags.environment).toBe("qa");
    expect(warnings).toEqual([
      expect.stringMatching(/^environment "uat": tags\.environment is "qa", not "uat": copied from another environment\?/),
      expect.stringMatching(/^environment "uat": genesys\.eventSourceSuffix "vault-qa" does not name "uat": .*"vault-uat"/),
    ]);
  });

  test("federated mode needs no SAS settings; sas mode requires them", () => {
    expect(loadRenamed("uat").env.azure.sasValidityDays).toBeUndefined();
    expect(() => loadRenamed("uat", (e) => (e.azure.writerAuth = "sas"))).toThrow(/azure\.sasRotationDays must be an integer from 1 to 365 \(required when azure\.writerAuth is "sas"\)/);
    const sas = loadRenamed("uat", (e) => Object.assign(e.azure, { writerAuth: "sas", sasValidityDays: 30, sasRotationDays: 14 }));
    expect(synthStacks([sas.env])["uat-azure"]!.resource?.azurerm_storage_account).toBeDefined();
  });

  test("a name declared new is not taken for a misspelled sample; an undeclared one is", () => {
    const incomplete = (e: any) => delete e.aws.vpcCidr;
    expect(() => loadRenamed("prodeu", incomplete)).toThrow(/aws\.vpcCidr/);
    expect(() => loadRenamed("prodeu", incomplete)).not.toThrow(/did you mean "prod"/);
    const undeclared = (e: any) => {
      incomplete(e);
      delete e.new;
    };
    expect(() => loadRenamed("prodeu", undeclared)).toThrow(/did you mean "prod"\? \(If "prodeu" is a new environment, set "new": true in it\.\)/);
  });
});

describe("the editors' JSON Schema", () => {
  test("flags a misspelled key, like synth does", () => {
    expect(validateFile({ prod: { aws: { natGateway: 2 } } })).toBe(false);
    expect(validateFile.errors).toEqual([expect.objectContaining({ instancePath: "/prod/aws", keyword: "additionalProperties", params: { additionalProperty: "natGateway" } })]);
  });

  test("offers the real values of enumerated fields", () => {
    expect(validateFile({ dev: { pipelines: { interaction: { topics: ["v2.detail.events.conversation.{id}.agent.end"] } } } })).toBe(false);
    expect(validateFile({ dev: { azure: { replicationType: "RAGZRS" } } })).toBe(true);
  });
});
