import { App } from "cdktf";
import { loadEnvironments, type EnvironmentOverrides } from "./config/load";
import { ConfigError } from "./config/validate";
import { formatSynthReport, synthReport } from "./lib/synth-report";
import { addEnvironment } from "./stacks/environment";

// One App; per environment `<env>-aws` and `<env>-azure`, plus `<env>-genesys` and
// `<env>-genesys-actions` where the Genesys side is managed as code (stacks/environment.ts).
const app = new App();
try {
  const contextOverrides = app.node.tryGetContext("environments") as EnvironmentOverrides | undefined;
  for (const env of loadEnvironments({ contextOverrides })) addEnvironment(app, env);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
app.synth();
// What was written, and the construct warnings only the cdktf CLI would otherwise show.
const report = synthReport(app.outdir);
for (const line of formatSynthReport(report)) console.log(line);
if (report.stacks.some((s) => s.errors.length)) process.exit(1);
