/**
 * containerd's address as `ctr --address`, dockerd's `--containerd` and
 * containerd's own config write it: a socket path, or the same path behind
 * `unix://`, which containerd's dialer strips.
 *
 * Pure, and apart from the client so the CLI can check an address without
 * loading the gRPC stack.
 */

const unixScheme = "unix://"

/** The socket path an address names: `unix:///run/x.sock` and `/run/x.sock` are the same socket. */
export const socketPathOf = (address: string): string =>
  address.startsWith(unixScheme) ? address.slice(unixScheme.length) : address
