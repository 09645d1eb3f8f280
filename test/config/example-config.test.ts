import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { loadEnvironments } from "../../config/load";
import { configFileJsonSchema } from "../../config/schema";
import { synthEnvironments } from "../support/synth-app";

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
    const { stacks } = synthEnvironments(load());
    expect(Object.keys(stacks).sort()).toEqual(["qa-aws", "qa-azure"]);
  });

  test("matches the editors' JSON Schema", () => {
    const ok = validateFile(JSON.parse(readFileSync(EXAMPLE, "utf8")));
    expect(validateFile.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
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
