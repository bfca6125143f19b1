import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { inject } from "vitest"
import { ContainerdClient, layer as clientLayer } from "../../src/containerd/ContainerdClient.ts"
import { isValidIdentifier, maxIdentifierLength, whyNotIdentifier } from "../../src/containerd/Identifiers.ts"

const valid = ["a", "Z", "0", "default", "moby", "k8s.io", "My_Namespace-2", "a.b_c-d", "1.2.3", "a".repeat(76)]

const invalid: ReadonlyArray<readonly [string, string]> = [
  ["", "it is empty"],
  ["bad/ns!", `it contains "/"`],
  ["with space", `it contains " "`],
  ["colon:a", `it contains ":"`],
  ["ünicode", `it contains "ü"`],
  [".hidden", `it starts with "."`],
  ["-dash", `it starts with "-"`],
  ["trailing_", `it ends with "_"`],
  ["a--b", `it has "--" where one separator may stand`],
  ["a._b", `it has "._" where one separator may stand`],
  ["a".repeat(77), "it is 77 characters long, more than 76"]
]

describe("isValidIdentifier", () => {
  it.each(valid)("accepts %j", (name) => {
    expect(isValidIdentifier(name)).toBe(true)
  })

  it.each(invalid.map(([name]) => name))("refuses %j", (name) => {
    expect(isValidIdentifier(name)).toBe(false)
  })

  it("allows exactly containerd's 76 characters", () => {
    expect(maxIdentifierLength).toBe(76)
  })
})

describe("whyNotIdentifier", () => {
  it.each(valid)("has nothing against %j", (name) => {
    expect(whyNotIdentifier(name)).toBeUndefined()
  })

  it.each(invalid)("says why %j is refused: %s", (name, why) => {
    expect(whyNotIdentifier(name)).toBe(why)
  })
})

/** Whether the private containerd takes `namespace` on a call; it validates the namespace of every call. */
const containerdAccepts = (namespace: string) =>
  Effect.gen(function*() {
    const client = yield* ContainerdClient
    return yield* client.listContainers().pipe(
      Effect.as(true),
      Effect.catch((error) =>
        error.reason._tag === "Status" && error.reason.codeName === "invalid_argument"
          ? Effect.succeed(false)
          : Effect.fail(error)
      )
    )
  }).pipe(Effect.provide(clientLayer({ address: inject("containerdAddress"), namespace })))

describe("the rule against the real containerd", () => {
  // Listing creates nothing, so no namespace is left behind by this; "" is refused differently (namespace is required).
  it.live("containerd accepts every namespace the rule accepts and refuses every one it refuses", () =>
    Effect.gen(function*() {
      const names = [...valid, ...invalid.map(([name]) => name).filter((name) => name !== "")]
      const verdicts: Record<string, boolean> = {}
      for (const name of names) verdicts[name] = yield* containerdAccepts(name)
      expect(verdicts).toEqual(Object.fromEntries(names.map((name) => [name, isValidIdentifier(name)])))
    }))
})
