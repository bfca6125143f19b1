import type { DescField, DescMessage } from "@bufbuild/protobuf"
import { ScalarType, toBinary } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { shimOptionsAny, shimOptionsFromAny, shimOptionsWireMessages } from "../../src/containerd/ShimOptionsWire.ts"
import type { FieldDescriptor, FieldKind } from "../../src/options/MessageDescriptor.ts"
import type { ShimOptions } from "../../src/options/ShimOptions.ts"
import { shimOptionsMessages } from "../../src/options/ShimOptions.ts"

type Value<Tag extends ShimOptions["_tag"]> = Extract<ShimOptions, { _tag: Tag }>["value"]

const runc = (value: Value<"RuncOptions">): ShimOptions => ({
  _tag: "RuncOptions",
  typeUrl: "containerd.runc.v1.Options",
  value
})
const runhcs = (value: Value<"RunhcsOptions">): ShimOptions => ({
  _tag: "RunhcsOptions",
  typeUrl: "containerd.runhcs.v1.Options",
  value
})
const runtime = (value: Value<"RuntimeOptions">): ShimOptions => ({
  _tag: "RuntimeOptions",
  typeUrl: "runtimeoptions.v1.Options",
  value
})

/** Bytes from hex written by hand; spaces and line breaks are for the reader. */
const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"))
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

const roundTrip = (options: ShimOptions) => shimOptionsFromAny(shimOptionsAny(options))

const failureReason = (result: ReturnType<typeof shimOptionsFromAny>) =>
  Result.isFailure(result) ? result.failure.reason._tag : "succeeded"

describe("shimOptionsAny", () => {
  it("encodes dockerd's stock runc options to the bytes the protobuf encoding defines", () => {
    const any = shimOptionsAny(
      runc({ binaryName: "/usr/sbin/runc", root: "/var/run/docker/runtime-runc", systemdCgroup: true })
    )
    // Each field: key = (number << 3) | wire type, then the value.
    const options = hex(`
      32 0e                                     -- binary_name: (6<<3)|2 = 0x32, 14 bytes
      2f 75 73 72 2f 73 62 69 6e 2f 72 75 6e 63 -- "/usr/sbin/runc"
      3a 1c                                     -- root: (7<<3)|2 = 0x3a, 28 bytes
      2f 76 61 72 2f 72 75 6e 2f 64 6f 63 6b 65 72
      2f 72 75 6e 74 69 6d 65 2d 72 75 6e 63    -- "/var/run/docker/runtime-runc"
      48 01                                     -- systemd_cgroup: (9<<3)|0 = 0x48, true
    `.replace(/--.*$/gm, ""))
    expect(options.length).toBe(48)
    expect(toHex(any.value)).toBe(toHex(options))
    const envelope = hex(`
      0a 1a                                     -- type_url: (1<<3)|2 = 0x0a, 26 bytes
      63 6f 6e 74 61 69 6e 65 72 64 2e 72 75 6e 63 2e
      76 31 2e 4f 70 74 69 6f 6e 73             -- "containerd.runc.v1.Options"
      12 30                                     -- value: (2<<3)|2 = 0x12, 48 bytes
    `.replace(/--.*$/gm, ""))
    expect(toHex(toBinary(AnySchema, any))).toBe(toHex(envelope) + toHex(options))
  })

  it.each([
    ["RuncOptions", runc({}), "containerd.runc.v1.Options"],
    ["RunhcsOptions", runhcs({}), "containerd.runhcs.v1.Options"],
    ["RuntimeOptions", runtime({}), "runtimeoptions.v1.Options"]
  ])("names %s by the bare full name containerd's registry resolves", (_, options, typeUrl) => {
    expect(shimOptionsAny(options).typeUrl).toBe(typeUrl)
  })

  it("leaves a plain field at its default off the wire", () => {
    expect(shimOptionsAny(runc({ noPivotRoot: false, ioUid: 0, root: "" })).value).toEqual(new Uint8Array())
  })

  it("writes an explicit-presence false (scrub_logs)", () => {
    // (20<<3)|0 = 160 = varint a0 01; false = 00
    expect(toHex(shimOptionsAny(runhcs({ scrubLogs: false })).value)).toBe("a00100")
  })

  it("writes the largest uint32 as a five-byte varint", () => {
    // io_uid: (4<<3)|0 = 0x20; 2^32-1 = 7-bit groups 7f×4 then 0f
    expect(toHex(shimOptionsAny(runc({ ioUid: 4294967295 })).value)).toBe("20ffffffff0f")
  })

  it("writes a negative int32 sign-extended to a ten-byte varint", () => {
    // vm_processor_count: (8<<3)|0 = 0x40; -1 as 64 bits = nine ff then 01
    expect(toHex(shimOptionsAny(runhcs({ vmProcessorCount: -1 })).value)).toBe("40ffffffffffffffffff01")
  })

  it("writes an enum name as its number", () => {
    // sandbox_isolation: (6<<3)|0 = 0x30; HYPERVISOR = 1
    expect(toHex(shimOptionsAny(runhcs({ sandboxIsolation: "HYPERVISOR" })).value)).toBe("3001")
  })

  it("writes bytes given as base64 as the bytes themselves", () => {
    // config_body: (3<<3)|2 = 0x1a, 4 bytes "[a]\n"
    expect(toHex(shimOptionsAny(runtime({ configBody: "W2FdCg==" })).value)).toBe("1a045b615d0a")
  })
})

describe("shimOptionsFromAny", () => {
  it.each<[string, ShimOptions]>([
    [
      "runc options with every field set",
      runc({
        noPivotRoot: true,
        noNewKeyring: true,
        shimCgroup: "/shim",
        ioUid: 4294967295,
        ioGid: 1,
        binaryName: "/usr/sbin/runc",
        root: "/run/runc",
        systemdCgroup: true,
        criuImagePath: "/img",
        criuWorkPath: "/work",
        taskApiAddress: "ttrpc+unix:///run/task.sock",
        taskApiVersion: 3
      })
    ],
    [
      "runhcs options with edge values",
      runhcs({
        debug: true,
        debugType: "ETW",
        sandboxIsolation: "HYPERVISOR",
        vmProcessorCount: -2147483648,
        vmMemorySizeInMb: 2147483647,
        GPUVHDPath: "C:\\gpu.vhdx",
        NCProxyAddr: "\\\\.\\pipe\\ncproxy",
        defaultContainerAnnotations: { "a.b": "1", "z": "" },
        scrubLogs: false
      })
    ],
    ["runhcs options with scrub_logs true", runhcs({ scrubLogs: true })],
    ["runtime options with a config body", runtime({ typeUrl: "io.kata", configPath: "/etc/k.toml", configBody: "AP8=" })],
    ["empty runc options", runc({})]
  ])("gives back %s unchanged", (_, options) => {
    expect(roundTrip(options)).toEqual(Result.succeed(options))
  })

  it("gives back the canonical form: defaults and empty maps left out", () => {
    expect(roundTrip(runhcs({ debug: false, vmProcessorCount: 0, defaultContainerAnnotations: {}, logLevel: "info" })))
      .toEqual(Result.succeed(runhcs({ logLevel: "info" })))
  })

  it("reads a type URL with a type.googleapis.com/ prefix as the bare name", () => {
    const any = shimOptionsAny(runc({ root: "/r" }))
    const result = shimOptionsFromAny({ typeUrl: `type.googleapis.com/${any.typeUrl}`, value: any.value })
    expect(result).toEqual(Result.succeed(runc({ root: "/r" })))
  })

  it("fails with UnknownType for a message that is not shim options, naming the type URL", () => {
    const result = shimOptionsFromAny({ typeUrl: "containerd.runc.v1.CheckpointOptions", value: new Uint8Array() })
    expect(failureReason(result)).toBe("UnknownType")
    expect(Result.isFailure(result) && result.failure.typeUrl).toBe("containerd.runc.v1.CheckpointOptions")
  })

  it("fails with Undecodable for bytes cut short", () => {
    // binary_name announcing 5 bytes, carrying 1
    expect(failureReason(shimOptionsFromAny({ typeUrl: "containerd.runc.v1.Options", value: hex("32 05 61") })))
      .toBe("Undecodable")
  })

  it("fails with Unrepresentable for an enum number without a name", () => {
    // debug_type: (2<<3)|0 = 0x10; 7 is not a DebugType
    expect(failureReason(shimOptionsFromAny({ typeUrl: "containerd.runhcs.v1.Options", value: hex("10 07") })))
      .toBe("Unrepresentable")
  })

  it("drops a field the message does not declare, such as containerd 1.x's criu_path (8)", () => {
    // criu_path: (8<<3)|2 = 0x42, 1 byte "c"; then root: 0x3a, 1 byte "r"
    expect(shimOptionsFromAny({ typeUrl: "containerd.runc.v1.Options", value: hex("42 01 63 3a 01 72") }))
      .toEqual(Result.succeed(runc({ root: "r" })))
  })
})

/** A field kind as the descriptor tables spell it, read off a generated field. */
const generatedKind = (field: DescField): FieldKind | string => {
  switch (field.fieldKind) {
    case "scalar":
      return ScalarType[field.scalar].toLowerCase()
    case "enum":
      return {
        _tag: "enum",
        name: field.enum.name,
        values: Object.fromEntries(field.enum.values.map((value) => [value.name, value.number]))
      }
    case "map":
      return field.mapKind === "scalar"
        ? `map<${ScalarType[field.mapKey].toLowerCase()},${ScalarType[field.scalar].toLowerCase()}>`
        : `map of ${field.mapKind}`
    default:
      return field.fieldKind
  }
}

const byNumber = <A>(fields: ReadonlyArray<A>, number: (field: A) => number) =>
  new Map(fields.map((field) => [number(field), field]))

describe.each(Object.keys(shimOptionsMessages) as Array<ShimOptions["_tag"]>)(
  "%s: the descriptor table and the generated message",
  (tag) => {
    const table = shimOptionsMessages[tag]
    const generated: DescMessage = shimOptionsWireMessages[tag]
    const pairs = () => {
      const generatedFields = byNumber(generated.fields, (field) => field.number)
      return table.fields.map((field): [FieldDescriptor, DescField] => {
        const twin = generatedFields.get(field.number)
        if (twin === undefined) throw new Error(`field ${field.number} is not in ${generated.typeName}`)
        return [field, twin]
      })
    }

    it("name the same message", () => {
      expect(generated.typeName).toBe(table.typeUrl)
    })

    it("declare the same field numbers", () => {
      const numbers = (list: ReadonlyArray<{ readonly number: number }>) => list.map((f) => f.number).sort((a, b) => a - b)
      expect(numbers(table.fields)).toEqual(numbers(generated.fields))
    })

    it("give each field the same proto name and JSON name", () => {
      for (const [field, twin] of pairs()) {
        expect([field.number, field.protoName, field.jsonName]).toEqual([field.number, twin.name, twin.jsonName])
      }
    })

    it("give each field the same kind", () => {
      for (const [field, twin] of pairs()) expect([field.number, field.kind]).toEqual([field.number, generatedKind(twin)])
    })

    it("track presence on the same fields (explicitPresence is proto3 optional)", () => {
      for (const [field, twin] of pairs()) {
        expect([field.number, field.explicitPresence === true]).toEqual([field.number, twin.proto.proto3Optional])
      }
    })
  }
)

describe("runc's message", () => {
  it("reserves field 8, containerd 1.x's criu_path", () => {
    const reserved = shimOptionsWireMessages.RuncOptions.proto.reservedRange
    expect(reserved.some((range) => range.start <= 8 && 8 < range.end)).toBe(true)
  })
})
