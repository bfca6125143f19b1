/**
 * A failed system call in the words users know from Go programs such as
 * dockerd: "no such file or directory", "not a directory", "permission
 * denied" — libuv's text for the errno, which is the C library's, as Go's is.
 *
 * Effect's `PlatformError` folds several errnos into one reason (ENOTDIR,
 * EISDIR and ELOOP all become `BadResource`), so the errno is read from the
 * Node error it wraps when there is one.
 */
import { getSystemErrorMessage } from "node:util"
import type { PlatformError } from "effect/PlatformError"

const byReason: Readonly<Record<string, string>> = {
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  AlreadyExists: "file exists",
  Busy: "resource busy or locked"
}

const errnoOf = (cause: unknown): number | undefined => {
  const errno = (cause as { readonly errno?: unknown } | undefined)?.errno
  return typeof errno === "number" ? errno : undefined
}

/** What went wrong, without the operation or path (callers name those). */
export const describeSystemError = (error: PlatformError): string => {
  const errno = errnoOf(error.reason.cause)
  if (errno !== undefined) return getSystemErrorMessage(errno)
  return byReason[error.reason._tag] ?? error.reason.description ?? error.message
}

/** The same for a Node error (`fs`, `net`, a child process): libuv's text for its errno, else its message. */
export const describeNodeError = (error: unknown): string => {
  const errno = errnoOf(error)
  if (errno !== undefined) return getSystemErrorMessage(errno)
  return error instanceof Error ? error.message : String(error)
}
