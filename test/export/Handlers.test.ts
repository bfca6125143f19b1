import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { assignHandlers, defaultHandler, suggestHandler } from "../../src/export/Handlers.ts"
import { tableOf } from "./support.ts"

const handlersOf = (daemonJson: object, handlers: Record<string, string> = {}) =>
  Result.map(assignHandlers(tableOf(daemonJson), new Map(Object.entries(handlers))), (assigned) =>
    assigned.map(({ handler, runtime }) => [runtime.name, handler]))

const refusal = (daemonJson: object, handlers: Record<string, string> = {}) => {
  const error = Result.getOrThrow(Result.flip(assignHandlers(tableOf(daemonJson), new Map(Object.entries(handlers)))))
  return { reason: error.reason, problems: error.problems.map(({ message, path }) => ({ path, message })) }
}

describe("handlers", () => {
  it("every runtime is exported under its own name, runc included, sorted by handler", () => {
    expect(Result.getOrThrow(handlersOf({ runtimes: { crun: { path: "crun" }, kata: { runtimeType: "io.containerd.kata.v2" } } })))
      .toEqual([["crun", "crun"], ["kata", "kata"], ["runc", "runc"]])
  })

  it("the stock alias io.containerd.runc.v2 is left out", () => {
    expect(Result.getOrThrow(handlersOf({}))).toEqual([["runc", "runc"]])
  })

  it("io.containerd.runc.v2 defined by the configuration is exported, and needs a handler", () => {
    const runtimes = { "io.containerd.runc.v2": { path: "/usr/bin/crun" } }
    expect(refusal({ runtimes }).reason).toBe("NotAHandlerName")
    expect(Result.getOrThrow(handlersOf({ runtimes }, { "io.containerd.runc.v2": "runc-v2" })))
      .toEqual([["runc", "runc"], ["io.containerd.runc.v2", "runc-v2"]])
  })

  it("a name that is not a DNS label is refused, naming the runtime and suggesting a handler", () => {
    expect(refusal({ runtimes: { My_Runtime: { path: "crun" }, "io.containerd.kata.v2": { runtimeType: "io.containerd.kata.v2" } } }))
      .toEqual({
        reason: "NotAHandlerName",
        problems: [
          {
            path: "runtimes.My_Runtime",
            message: `runtime My_Runtime is not a valid handler name (a lowercase RFC 1123 DNS label): it contains "M"; ` +
              "give it one with --handler My_Runtime=my-runtime"
          },
          {
            path: `runtimes["io.containerd.kata.v2"]`,
            message: `runtime io.containerd.kata.v2 is not a valid handler name (a lowercase RFC 1123 DNS label): it contains "."; ` +
              "give it one with --handler io.containerd.kata.v2=io-containerd-kata-v2"
          }
        ]
      })
  })

  it("--handler renames a runtime", () => {
    expect(Result.getOrThrow(handlersOf({ runtimes: { My_Runtime: { path: "crun" } } }, { My_Runtime: "mine" })))
      .toEqual([["My_Runtime", "mine"], ["runc", "runc"]])
  })

  it("a --handler that is not a DNS label is refused", () => {
    expect(refusal({ runtimes: { crun: { path: "crun" } } }, { crun: "Crun" })).toEqual({
      reason: "NotAHandlerName",
      problems: [{ path: "--handler", message: `handler "Crun" for runtime crun is not a DNS label: it contains "C"` }]
    })
  })

  it("two runtimes under one handler are refused", () => {
    expect(refusal({ runtimes: { crun: { path: "crun" }, other: { path: "crun" } } }, { other: "crun" })).toEqual({
      reason: "SameHandler",
      problems: [{ path: "--handler", message: "runtimes crun, other would all be exported as handler crun: give each its own with --handler" }]
    })
  })

  it("a --handler for a runtime the configuration lacks is refused", () => {
    expect(refusal({}, { crun: "crun", "io.containerd.runc.v2": "v2" })).toEqual({
      reason: "UnknownRuntime",
      problems: [
        { path: "--handler", message: `"crun" is not a runtime of this configuration` },
        {
          path: "--handler",
          message: `"io.containerd.runc.v2" is not a runtime of this configuration (the stock alias io.containerd.runc.v2 is runc, exported as runc)`
        }
      ]
    })
  })

  it.each([
    ["io.containerd.kata.v2", "io-containerd-kata-v2"],
    ["My_Runtime", "my-runtime"],
    ["--x--", "x"],
    ["ÉÉ", "runtime"],
    ["a".repeat(70), "a".repeat(63)],
    [`${"a".repeat(62)}-b`, "a".repeat(62)]
  ])("%j suggests the DNS label %j", (name, suggestion) => {
    expect(suggestHandler(name)).toBe(suggestion)
  })

  it("the default runtime's handler is its own, runc's for the stock alias, none for a shim named directly", () => {
    const handlerOf = (daemonJson: object, handlers: Record<string, string> = {}) => {
      const table = tableOf(daemonJson)
      return defaultHandler(table, Result.getOrThrow(assignHandlers(table, new Map(Object.entries(handlers)))))
    }
    expect(handlerOf({ "default-runtime": "Crun", runtimes: { Crun: { path: "crun" } } }, { Crun: "crun" })).toBe("crun")
    expect(handlerOf({ "default-runtime": "io.containerd.runc.v2" })).toBe("runc")
    expect(handlerOf({ "default-runtime": "io.containerd.kata.v2" })).toBeUndefined()
  })
})
