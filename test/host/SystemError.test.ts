import { describe, expect, it } from "@effect/vitest"
import * as PlatformError from "effect/PlatformError"
import { describeSystemError } from "../../src/host/SystemError.ts"

const failure = (tag: PlatformError.SystemErrorTag, cause?: unknown) =>
  PlatformError.systemError({ _tag: tag, module: "FileSystem", method: "stat", pathOrDescriptor: "/x", cause })

describe("describeSystemError", () => {
  it("uses the errno of the Node error behind it, which Effect's reason folds away", () => {
    const enotdir = Object.assign(new Error("ENOTDIR"), { code: "ENOTDIR", errno: -20 })
    expect(describeSystemError(failure("BadResource", enotdir))).toBe("not a directory")
  })

  it("words a reason without an errno as Go would", () => {
    expect(describeSystemError(failure("NotFound"))).toBe("no such file or directory")
    expect(describeSystemError(failure("PermissionDenied"))).toBe("permission denied")
  })
})
