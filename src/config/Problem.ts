/**
 * What validation reports about one place in the configuration.
 *
 * Validation never stops at the first mistake: every rule that fails adds a
 * `Problem`, and callers receive them all at once, in a deterministic order, so
 * an administrator can fix a `daemon.json` in one pass.
 *
 * `path` names the place in daemon.json terms (`runtimes.kata.runtimeArgs`,
 * `runtimes.kata.options.SystemdCgroup`, `default-runtime`, `exec-opts[1]`), or
 * the flag (`--add-runtime`), so a user can find it; `message` keeps dockerd's
 * wording where dockerd has one, so the error can be searched for.
 */
import * as Schema from "effect/Schema"

export class Problem extends Schema.Class<Problem>("Problem")({
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * Something accepted, as dockerd accepts it, but most likely a mistake — an
 * unknown option key, say. Warnings never fail a setup.
 */
export class ConfigWarning extends Schema.Class<ConfigWarning>("ConfigWarning")({
  path: Schema.String,
  message: Schema.String
}) {}

const plainKey = /^[A-Za-z0-9_-]+$/

/**
 * A location in daemon.json as users write it: `runtimes.kata.runtimeArgs[1]`.
 * A key that is not a plain word is quoted, so `runtimes["io.containerd.kata.v2"]`
 * stays unambiguous.
 */
export const configPath = (segments: ReadonlyArray<PropertyKey>): string =>
  segments.reduce<string>((path, segment) => {
    if (typeof segment === "number") return `${path}[${segment}]`
    const key = String(segment)
    if (!plainKey.test(key)) return `${path}[${JSON.stringify(key)}]`
    return path === "" ? key : `${path}.${key}`
  }, "")

/**
 * `text` as a message may quote it: whole when short, else its start and how
 * much was left out, so that a 10 MB argument cannot make a 10 MB message.
 */
export const excerpt = (text: string, max = 200): string =>
  text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more characters)`
