/**
 * The answers of `serve`'s Docker Engine API subset, as pure functions from
 * what is known (the table in force, facts about the host) to a status,
 * headers and a body, shaped as dockerd shapes them: one-line JSON with a
 * newline (Go's encoder), errors as `{"message": …}`, `GET /info` with
 * dockerd's field names (the runtimes exactly as `info --json` prints them),
 * and the headers clients read to negotiate the API version. `GET
 * /runtimes/{name}`, which is not Docker's, answers exactly what
 * `resolve --json` prints, indented as it is.
 */
import { compactJson, formatJson, RenderedJson } from "../json/JsonWriter.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import { infoJson, type Resolution, resolutionJson } from "../registry/TableJson.ts"
import { apiVersion, minApiVersion } from "./EngineRoutes.ts"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly contentType: string
  readonly body: string
}

/** The table the answer comes from, and the data root of the configuration it was set up from. */
export interface TableInForce {
  readonly table: RuntimeTable
  readonly dataRoot: string
}

/** What `GET /info` and `GET /version` say about the host and the server, gathered once at start. */
export interface ServerFacts {
  /** oci-runtimes's own version. */
  readonly version: string
  readonly hostname: string
  readonly kernelVersion: string
  /** `uname -m`: what `/info` calls the architecture. */
  readonly machine: string
  /** Go's name for it (`amd64`, `arm64`): what `/version` calls the architecture. */
  readonly goArch: string
  readonly cpus: number
  readonly memoryBytes: number
  readonly cgroupV2: boolean
}

const json = "application/json"

/** dockerd's version middleware's headers, on every answer of a matched route. */
export const routeHeaders = (facts: ServerFacts): Readonly<Record<string, string>> => ({
  "Api-Version": apiVersion,
  "Docker-Experimental": "false",
  "Ostype": "linux",
  "Server": `oci-runtimes/${facts.version} (linux)`
})

/** Docker's error body, `{"message": …}`. */
export const errorAnswer = (status: number, message: string, headers: Readonly<Record<string, string>> = {}): Answer => ({
  status,
  headers,
  contentType: json,
  body: `${compactJson({ message })}\n`
})

/** What dockerd answers for any path or method it has no route for, without its middleware's headers. */
export const pageNotFound: Answer = errorAnswer(404, "page not found")

/**
 * `GET /_ping` and `HEAD /_ping`: `OK`, or no body for HEAD, never cached;
 * `Swarm: inactive` as a daemon outside a swarm says.
 */
export const pingAnswer = (facts: ServerFacts, method: string): Answer => ({
  status: 200,
  headers: {
    ...routeHeaders(facts),
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "Swarm": "inactive"
  },
  contentType: "text/plain; charset=utf-8",
  body: method === "HEAD" ? "" : "OK"
})

const jsonAnswer = (facts: ServerFacts, document: unknown): Answer => ({
  status: 200,
  headers: routeHeaders(facts),
  contentType: json,
  body: `${compactJson(document)}\n`
})

/** `GET /version`: this server as the one component, with the API versions it serves. */
export const versionAnswer = (facts: ServerFacts): Answer => {
  const details = {
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    Os: "linux",
    Arch: facts.goArch,
    KernelVersion: facts.kernelVersion
  }
  return jsonAnswer(facts, {
    Platform: { Name: "oci-runtimes" },
    Components: [{ Name: "oci-runtimes", Version: facts.version, Details: details }],
    Version: facts.version,
    ...details,
    GitCommit: "",
    GoVersion: "",
    BuildTime: ""
  })
}

const noCommit = { ID: "", Expected: "" }

/**
 * Each table's `Runtimes`, rendered once: a table never changes, is asked
 * for far more often than it is replaced, and with every runtime's features
 * its `Runtimes` are most of the answer (some 3 KB per runtime).
 */
const renderedRuntimes = new WeakMap<RuntimeTable, RenderedJson>()

const runtimesOf = (table: RuntimeTable): RenderedJson => {
  let rendered = renderedRuntimes.get(table)
  if (rendered === undefined) {
    rendered = new RenderedJson(compactJson(infoJson(table).Runtimes))
    renderedRuntimes.set(table, rendered)
  }
  return rendered
}

/**
 * `GET /info`: the runtime fields from the table, as `info --json` prints
 * them, the data root as `DockerRootDir`, the host's facts, and the rest of
 * dockerd's fields at the values of an engine that runs no containers, so
 * that `docker info` prints without an error.
 */
export const infoAnswer = (facts: ServerFacts, inForce: TableInForce, now: Date): Answer => {
  const { dataRoot, table } = inForce
  return jsonAnswer(facts, {
    ID: "",
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: "",
    DriverStatus: [],
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: now.toISOString(),
    LoggingDriver: "",
    CgroupDriver: table.cgroupDriver,
    CgroupVersion: facts.cgroupV2 ? "2" : "1",
    NEventsListener: 0,
    KernelVersion: facts.kernelVersion,
    OperatingSystem: "",
    OSVersion: "",
    OSType: "linux",
    Architecture: facts.machine,
    IndexServerAddress: "",
    RegistryConfig: null,
    NCPU: facts.cpus,
    MemTotal: facts.memoryBytes,
    GenericResources: null,
    DockerRootDir: dataRoot,
    HttpProxy: "",
    HttpsProxy: "",
    NoProxy: "",
    Name: facts.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: facts.version,
    Runtimes: runtimesOf(table),
    DefaultRuntime: table.defaultRuntime,
    Swarm: {
      NodeID: "",
      NodeAddr: "",
      LocalNodeState: "inactive",
      ControlAvailable: false,
      Error: "",
      RemoteManagers: null
    },
    LiveRestoreEnabled: false,
    Isolation: "",
    InitBinary: "",
    ContainerdCommit: noCommit,
    RuncCommit: noCommit,
    InitCommit: noCommit,
    SecurityOptions: [],
    Warnings: []
  })
}

/** `GET /runtimes/{name}`: the resolution exactly as `resolve --json` prints it. */
export const runtimeAnswer = (facts: ServerFacts, resolution: Resolution): Answer => ({
  status: 200,
  headers: routeHeaders(facts),
  contentType: json,
  body: `${formatJson(resolutionJson(resolution))}\n`
})
