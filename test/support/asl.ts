import aslValidator from "asl-validator";

/** Validates an Amazon States Language definition; returns the error messages (empty when valid). */
export function validateAsl(definition: unknown): string[] {
  const result = aslValidator(definition);
  return result.isValid ? [] : result.errors.map((e) => (typeof e === "string" ? e : `${e.path ?? e.instancePath ?? ""} ${e.message ?? JSON.stringify(e)}`));
}
