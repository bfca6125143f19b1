/**
 * Which endpoint of the Docker Engine API subset `serve` answers a request
 * names, by dockerd's routing rules: every route under its plain path and
 * under `/v<version>/`, the method part of the route (a known path asked
 * with another method is "page not found", as dockerd answers it, not 405),
 * and the version checked against the range served only once a route
 * matched. Pure: a method and a request target in, a decision out.
 */

/** The API version `serve` speaks, announced in `API-Version` so clients negotiate down to it. */
export const apiVersion = "1.45"

/** The oldest API version accepted in a path, as dockerd's current releases. */
export const minApiVersion = "1.24"

export type Endpoint =
  | { readonly _tag: "Ping" }
  | { readonly _tag: "Version" }
  | { readonly _tag: "Info" }
  /** Not Docker's: how one runtime name resolves. */
  | { readonly _tag: "Runtime"; readonly name: string }

export type Routing =
  | {
    readonly _tag: "Matched"
    readonly endpoint: Endpoint
    /** The version the path asked for, or `apiVersion` for a plain path. */
    readonly version: string
  }
  /** No route has this method and path. */
  | { readonly _tag: "NotFound" }
  /** A route matched, but outside the versions served; `message` in dockerd's words. */
  | { readonly _tag: "UnsupportedVersion"; readonly message: string }
  /** The path's percent-encoding is broken. */
  | { readonly _tag: "BadPath"; readonly message: string }

/** The largest value Go's `strconv.Atoi` gives on 64 bits: longer numbers saturate at it. */
const maxInt = (1n << 63n) - 1n

/** One dotted component as Go's `strconv.Atoi` reads it for dockerd's comparison: empty is 0. */
const component = (text: string | undefined): bigint => {
  if (text === undefined || !/^\d+$/.test(text)) return 0n
  const value = BigInt(text)
  return value > maxInt ? maxInt : value
}

/**
 * Compares dotted versions as dockerd does (`api/types/versions`): component
 * by component as integers, a missing one counting as 0, so `1.4` < `1.24`
 * and `1.24.0` = `1.24`.
 */
export const compareVersions = (left: string, right: string): -1 | 0 | 1 => {
  if (left === right) return 0
  const a = left.split(".")
  const b = right.split(".")
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const x = component(a[index])
    const y = component(b[index])
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** dockerd's `/v{version:[0-9.]+}` prefix and the path after it. */
const versioned = /^\/v([0-9.]+)(\/.*)$/

/** The endpoint a plain path and method name, if any. */
const endpointOf = (method: string, path: string): Endpoint | "not found" | { readonly badPath: string } => {
  if (path === "/_ping") return method === "GET" || method === "HEAD" ? { _tag: "Ping" } : "not found"
  if (method !== "GET") return "not found"
  if (path === "/version") return { _tag: "Version" }
  if (path === "/info") return { _tag: "Info" }
  const name = /^\/runtimes\/([^/]+)$/.exec(path)?.[1]
  if (name === undefined) return "not found"
  try {
    return { _tag: "Runtime", name: decodeURIComponent(name) }
  } catch {
    return { badPath: name }
  }
}

/** The version a path asks for, checked as dockerd's version middleware checks it. */
const versionProblem = (version: string): string | undefined => {
  if (compareVersions(version, minApiVersion) < 0) {
    return `client version ${version} is too old. Minimum supported API version is ${minApiVersion}, ` +
      "please upgrade your client to a newer version"
  }
  if (compareVersions(version, apiVersion) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${apiVersion}`
  }
  return undefined
}

/**
 * Routes a request: `method` as sent, `target` the request target
 * (`/v1.41/info?x=1`). The query is ignored; the path is matched as sent,
 * with `%2F` in a runtime name standing for a `/` in it.
 */
export const route = (method: string, target: string): Routing => {
  const path = target.split("?", 1)[0] ?? ""
  const prefixed = versioned.exec(path)
  const version = prefixed?.[1] ?? apiVersion
  const endpoint = endpointOf(method, prefixed?.[2] ?? path)
  if (endpoint === "not found") return { _tag: "NotFound" }
  if ("badPath" in endpoint) return { _tag: "BadPath", message: `invalid URL escape in ${JSON.stringify(endpoint.badPath)}` }
  const problem = versionProblem(version)
  return problem === undefined
    ? { _tag: "Matched", endpoint, version }
    : { _tag: "UnsupportedVersion", message: problem }
}
