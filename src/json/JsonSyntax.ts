/**
 * JSON text to a value in one pass, or where it stops being JSON, and why.
 *
 * `JSON.parse` only sometimes says where it failed (V8 omits the position for
 * an unexpected token, and for a truncated text), rounds every number to a
 * double, and keeps the last of two equal keys; so daemon.json is read by this
 * parser instead. It follows the JSON grammar (RFC 8259), words its complaints
 * like Go's `encoding/json`, which is what dockerd prints for a broken
 * daemon.json, so the message can be searched for, and leaves what a number
 * becomes to its caller, which is told where the number stands.
 *
 * A key written twice in one object is refused too, though RFC 8259 only
 * says keys SHOULD be unique: `JSON.parse` keeps the last silently, while
 * dockerd's decoder merges a repeated map-typed key into one map, so either
 * reading hides half of what was written (Go's encoding/json/v2 refuses
 * duplicates by default for the same reason).
 *
 * Every step is linear in the text: one cursor moves forward only, strings
 * are decoded from slices joined once, and containers live on an explicit
 * stack (no recursion, so no nesting can overflow the call stack).
 */
import * as Result from "effect/Result"

/** A syntax error at a 1-based line and column (columns count characters). */
export interface JsonSyntaxError {
  readonly line: number
  readonly column: number
  readonly message: string
}

/** Where a value stands: the keys and indexes leading to it from the top. */
export type JsonPath = ReadonlyArray<string | number>

/**
 * Makes the value of a number literal. `path` is where the number stands; it
 * changes as parsing goes on, so a reader that keeps it must copy it.
 */
export type NumberReader = (literal: string, path: JsonPath) => unknown

/**
 * How deeply arrays and objects may nest. Go's decoder allows 10000; far less
 * is plenty for daemon.json, and values nested deeper than a few thousand
 * levels cannot be serialised again (`JSON.stringify` recurses).
 */
export const maxDepth = 1000

/** Thrown inside the parser only, to unwind to `parseJson`. */
class Stop {
  readonly offset: number
  readonly message: string
  /** Where the first of two equal keys starts, for the message. */
  readonly firstOffset: number | undefined
  constructor(offset: number, message: string, firstOffset?: number) {
    this.offset = offset
    this.message = message
    this.firstOffset = firstOffset
  }
}

/** An object being read: its members so far, where each key starts (to find a repeat), and the current key. */
interface OpenObject {
  readonly kind: "{"
  readonly value: Record<string, unknown>
  readonly keyOffsets: Map<string, number>
  key: string
}

/**
 * An array being read: where its elements start on the parser's element
 * stack. The array is made at its end, at its final length, as `JSON.parse`
 * makes it: growing each array element by element costs several times the
 * memory, and the garbage collector's time with it.
 */
interface OpenArray {
  readonly kind: "["
  readonly start: number
}

type Open = OpenObject | OpenArray

/** Returned while the document goes on: a container was opened, or another element follows. */
const unfinished: unique symbol = Symbol("unfinished")

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

const simpleEscapes: Readonly<Record<string, string>> = {
  "\"": "\"",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}

const goEscapes: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v"
}

/** A character as Go's `encoding/json` quotes it in a message: `'x'`, `'\n'`, `'\x01'`. */
const quoteChar = (c: string): string => {
  if (c === "'") return `'\\''`
  const escaped = goEscapes[c] ?? (c < " " || c === "\x7f" ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c)
  return `'${escaped}'`
}

/**
 * Adds a member as `JSON.parse` does: a `__proto__` key becomes an own
 * property rather than replacing the object's prototype.
 */
const setMember = (object: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    object[key] = value
  }
}

class Parser {
  private readonly text: string
  private readonly readNumber: NumberReader
  private pos = 0
  private readonly open: Array<Open> = []
  /** The elements of every open array, innermost last. */
  private readonly elements: Array<unknown> = []
  /** The key or index of each open container's current element. */
  private readonly path: Array<string | number> = []

  constructor(text: string, readNumber: NumberReader) {
    this.text = text
    this.readNumber = readNumber
  }

  /** The UTF-16 unit at the cursor; `NaN` past the end. */
  private code(): number {
    return this.text.charCodeAt(this.pos)
  }

  /**
   * Fails at the current character. Running out of text means it was
   * truncated; that is reported just after its last non-blank character, where
   * the reader should look, not on the empty line a final newline starts.
   */
  private fail(context: string): never {
    if (this.pos >= this.text.length) {
      let end = this.text.length
      while (isSpace(this.text.charCodeAt(end - 1))) end--
      throw new Stop(end, "unexpected end of JSON input")
    }
    const c = String.fromCodePoint(this.text.codePointAt(this.pos)!)
    throw new Stop(this.pos, `invalid character ${quoteChar(c)} ${context}`)
  }

  private skipSpace(): void {
    while (isSpace(this.code())) this.pos++
  }

  private expect(c: string, context: string): void {
    if (this.text[this.pos] !== c) this.fail(context)
    this.pos++
  }

  /** The whole text as one value; nesting deeper than `maxDepth` is refused as Go refuses it. */
  document(): unknown {
    for (;;) {
      const value = this.openValue()
      if (value === unfinished) continue
      const done = this.closeValues(value)
      if (done !== unfinished) return done
    }
  }

  /** Reads the start of a value: a whole value, or `unfinished` for the start of a non-empty container. */
  private openValue(): unknown {
    this.skipSpace()
    const c = this.text[this.pos]
    if (c === "{" || c === "[") {
      if (this.open.length >= maxDepth) this.fail("exceeded max depth")
      this.pos++
      this.skipSpace()
      if (this.text[this.pos] === (c === "{" ? "}" : "]")) {
        this.pos++
        return c === "{" ? {} : []
      }
      if (c === "[") {
        this.open.push({ kind: "[", start: this.elements.length })
        this.path.push(0)
      } else {
        const object: OpenObject = { kind: "{", value: {}, keyOffsets: new Map(), key: "" }
        this.open.push(object)
        this.path.push("")
        this.objectKey(object)
      }
      return unfinished
    }
    if (c === "\"") return this.string()
    if (c === "-" || isDigit(this.code())) return this.number()
    if (c === "t") return this.literal("true", true)
    if (c === "f") return this.literal("false", false)
    if (c === "n") return this.literal("null", null)
    return this.fail("looking for beginning of value")
  }

  /**
   * After a value: stores it in its container, closes every container that
   * ends here (each then being the value stored in the one around it), and
   * moves past the `,` to the next element. Returns the document when it is
   * complete, else `unfinished`.
   */
  private closeValues(value: unknown): unknown {
    let done = value
    for (;;) {
      this.skipSpace()
      const container = this.open.at(-1)
      if (container === undefined) {
        if (this.pos < this.text.length) this.fail("after top-level value")
        return done
      }
      if (container.kind === "[") this.elements.push(done)
      else setMember(container.value, container.key, done)
      if (this.text[this.pos] === (container.kind === "[" ? "]" : "}")) {
        this.pos++
        this.open.pop()
        this.path.pop()
        done = container.kind === "[" ? this.elements.splice(container.start) : container.value
        continue
      }
      if (container.kind === "[") {
        this.expect(",", "after array element")
        this.path[this.path.length - 1] = this.elements.length - container.start
      } else {
        this.expect(",", "after object key:value pair")
        this.objectKey(container)
      }
      return unfinished
    }
  }

  /**
   * An object's key and the `:` after it. Keys are compared as decoded, so
   * `"p\u0061th"` repeats `"path"`.
   */
  private objectKey(object: OpenObject): void {
    this.skipSpace()
    if (this.text[this.pos] !== "\"") this.fail("looking for beginning of object key string")
    const start = this.pos
    const key = this.string()
    const first = object.keyOffsets.get(key)
    if (first !== undefined) throw new Stop(start, `duplicate key ${JSON.stringify(key)}`, first)
    object.keyOffsets.set(key, start)
    object.key = key
    this.path[this.path.length - 1] = key
    this.skipSpace()
    this.expect(":", "after object key")
  }

  /** A string, decoded: the runs between escapes are sliced out and joined once. */
  private string(): string {
    this.pos++
    let runStart = this.pos
    const parts: Array<string> = []
    for (;;) {
      const c = this.code()
      if (c === 0x22) {
        parts.push(this.text.slice(runStart, this.pos))
        this.pos++
        return parts.length === 1 ? parts[0]! : parts.join("")
      }
      if (c === 0x5c) {
        parts.push(this.text.slice(runStart, this.pos))
        this.pos++
        parts.push(this.escape())
        runStart = this.pos
      } else if (!(c >= 0x20)) {
        this.fail("in string literal")
      } else {
        this.pos++
      }
    }
  }

  /** The character an escape (after its `\`) stands for; `\u` escapes are UTF-16 units, as in JSON. */
  private escape(): string {
    const c = this.text[this.pos]
    if (c === "u") {
      this.pos++
      const start = this.pos
      for (let i = 0; i < 4; i++) {
        if (!isHex(this.code())) this.fail("in \\u hexadecimal character escape")
        this.pos++
      }
      return String.fromCharCode(Number.parseInt(this.text.slice(start, this.pos), 16))
    }
    const simple = c === undefined ? undefined : simpleEscapes[c]
    if (simple === undefined) this.fail("in string escape code")
    this.pos++
    return simple
  }

  private digits(): void {
    while (isDigit(this.code())) this.pos++
  }

  private number(): unknown {
    const start = this.pos
    if (this.text[this.pos] === "-") this.pos++
    if (this.text[this.pos] === "0") this.pos++
    else if (isDigit(this.code())) this.digits()
    else this.fail("in numeric literal")
    if (this.text[this.pos] === ".") {
      this.pos++
      if (!isDigit(this.code())) this.fail("after decimal point in numeric literal")
      this.digits()
    }
    if ((this.code() | 0x20) === 0x65) {
      this.pos++
      if (this.text[this.pos] === "+" || this.text[this.pos] === "-") this.pos++
      if (!isDigit(this.code())) this.fail("in exponent of numeric literal")
      this.digits()
    }
    return this.readNumber(this.text.slice(start, this.pos), this.path)
  }

  private literal(word: string, value: boolean | null): boolean | null {
    this.pos++
    for (const expected of word.slice(1)) {
      if (this.text[this.pos] !== expected) this.fail(`in literal ${word} (expecting '${expected}')`)
      this.pos++
    }
    return value
  }
}

/** The 1-based line and column of `offset`, counting characters, not UTF-16 units. */
const locate = (text: string, offset: number): { line: number; column: number } => {
  const before = text.slice(0, offset)
  return {
    line: before.split("\n").length,
    column: [...before.slice(before.lastIndexOf("\n") + 1)].length + 1
  }
}

const syntaxError = (text: string, stop: Stop): JsonSyntaxError => {
  if (stop.firstOffset === undefined) return { ...locate(text, stop.offset), message: stop.message }
  const first = locate(text, stop.firstOffset)
  return {
    ...locate(text, stop.offset),
    message: `${stop.message} (first at line ${first.line}, column ${first.column})`
  }
}

/**
 * The value of a JSON text, each number made by `readNumber`, or the first
 * syntax error in it. Objects are plain objects whose keys keep the text's
 * order (as far as JavaScript objects keep any: integer-like keys first).
 */
export const parseJson = (text: string, readNumber: NumberReader): Result.Result<unknown, JsonSyntaxError> => {
  try {
    return Result.succeed(new Parser(text, readNumber).document())
  } catch (stop) {
    if (!(stop instanceof Stop)) throw stop
    return Result.fail(syntaxError(text, stop))
  }
}
