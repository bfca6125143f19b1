/**
 * One private containerd for the whole test run (see `PrivateContainerd`),
 * with a busybox root filesystem and a scratch directory; test files get
 * their paths through vitest's `inject`.
 *
 * At the end, whatever a test left behind fails the run: any container or
 * task in any namespace is reported (and then removed), and containerd is
 * stopped either way.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestProject } from "vitest/node"
import { makeBusyboxRootfs, removeLeftovers, startContainerd } from "./PrivateContainerd.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** The private containerd's gRPC socket. */
    containerdAddress: string
    /** A directory holding /bin/busybox (static) and /bin/sh. */
    busyboxRootfs: string
    /** A scratch directory the tests may write into (removed at the end). */
    scratch: string
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-containerd-"))
  const containerd = await startContainerd(dir)
  const scratch = join(dir, "scratch")
  mkdirSync(scratch)
  project.provide("containerdAddress", containerd.address)
  project.provide("busyboxRootfs", makeBusyboxRootfs(join(dir, "rootfs")))
  project.provide("scratch", scratch)

  return async () => {
    let left: Array<string> = []
    try {
      left = removeLeftovers(containerd.address)
    } finally {
      await containerd.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    if (left.length > 0) throw new Error(`tests left these in containerd:\n  ${left.join("\n  ")}`)
  }
}
