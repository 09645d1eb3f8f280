declare module "asl-validator" {
  interface AslValidatorResult {
    isValid: boolean;
    errors: Array<{ message?: string; path?: string; instancePath?: string } | string>;
  }
  /** Validates an Amazon States Language definition (object or JSON string). */
  function aslValidator(definition: unknown, options?: Record<string, unknown>): AslValidatorResult;
  export = aslValidator;
}
