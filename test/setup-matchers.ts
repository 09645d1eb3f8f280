import { Testing } from "cdktf";
// Brings the matcher type declarations (toHaveResource, ...) into the type-check.
import "cdktf/lib/testing/adapters/jest";

// cdktf's jest matchers: toHaveResource, toHaveResourceWithProperties, ...
Testing.setupJest();
