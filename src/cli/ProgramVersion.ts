/**
 * oci-runtimes's own version, as the executable read it from package.json,
 * for what reports it beyond `--version` (`serve`'s `GET /version`).
 */
import * as Context from "effect/Context"

export const ProgramVersion: Context.Reference<string> = Context.Reference<string>("oci-runtimes/cli/ProgramVersion", {
  defaultValue: () => "unknown"
})
