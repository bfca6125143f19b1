import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { toCliOptions } from "../../src/cli/Options.ts"

const none = {
  config: Option.none(),
  addRuntime: [],
  defaultRuntime: Option.none(),
  execOpt: [],
  dataRoot: Option.none(),
  execRoot: Option.none(),
  json: false,
  probeTimeout: Option.none(),
  writeWrappers: false
}

describe("toCliOptions", () => {
  it("leaves flags that were not given out of DaemonFlags", () => {
    expect(toCliOptions(none)).toEqual({
      configFile: undefined,
      daemonFlags: { addRuntimes: [], execOpts: [] },
      json: false,
      probeTimeout: undefined,
      writeWrappers: false
    })
  })

  it("keeps flags given empty, which still clash with the file", () => {
    const options = toCliOptions({
      ...none,
      config: Option.some("/etc/d.json"),
      addRuntime: ["a=/a"],
      defaultRuntime: Option.some(""),
      execOpt: ["native.cgroupdriver=systemd"],
      dataRoot: Option.some("/data"),
      execRoot: Option.some("/exec"),
      json: true,
      probeTimeout: Option.some(Duration.seconds(2)),
      writeWrappers: true
    })
    expect(options).toEqual({
      configFile: "/etc/d.json",
      daemonFlags: {
        addRuntimes: ["a=/a"],
        execOpts: ["native.cgroupdriver=systemd"],
        defaultRuntime: "",
        dataRoot: "/data",
        execRoot: "/exec"
      },
      json: true,
      probeTimeout: Duration.seconds(2),
      writeWrappers: true
    })
  })
})
