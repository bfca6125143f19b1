/**
 * Where a JSON text stops being JSON, and why.
 *
 * `JSON.parse` only sometimes says where it failed (V8 omits the position for
 * an unexpected token, and for a truncated text), so daemon.json is checked by
 * this scanner first. It follows the JSON grammar (RFC 8259) and words its
 * complaints like Go's `encoding/json`, which is what dockerd prints for a
 * broken daemon.json, so the message can be searched for.
 *
 * A key written twice in one object is refused too, though RFC 8259 only
 * says keys SHOULD be unique: `JSON.parse` keeps the last silently, while
 * dockerd's decoder merges a repeated map-typed key into one map, so either
 * reading hides half of what was written (Go's encoding/json/v2 refuses
 * duplicates by default for the same reason).
 */

/** A syntax error at a 1-based line and column (columns count characters). */
export interface JsonSyntaxError {
  readonly line: number
  readonly column: number
  readonly message: string
}

/**
 * How deeply arrays and objects may nest. Go's decoder allows 10000; far less
 * is plenty for daemon.json, and values nested deeper than a few thousand
 * levels cannot be serialised again (`JSON.stringify` recurses).
 */
export const maxDepth = 1000

/** Thrown inside the scanner only, to unwind to `findJsonSyntaxError`. */
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

/**
 * An open container: an object, as the offset of each key seen so far in it
 * (a hash map, so checking for a repeat stays linear in the input), or `"["`.
 */
type Open = Map<string, number> | "["

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r"
const isDigit = (c: string | undefined): c is string => c !== undefined && c >= "0" && c <= "9"
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c)

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

class Scanner {
  private readonly text: string
  private pos = 0
  constructor(text: string) {
    this.text = text
  }

  private peek(): string | undefined {
    return this.text[this.pos]
  }

  /**
   * Fails at the current character. Running out of text means it was
   * truncated; that is reported just after its last non-blank character, where
   * the reader should look, not on the empty line a final newline starts.
   */
  private fail(context: string): never {
    if (this.pos >= this.text.length) {
      let end = this.text.length
      while (isSpace(this.text[end - 1])) end--
      throw new Stop(end, "unexpected end of JSON input")
    }
    const c = String.fromCodePoint(this.text.codePointAt(this.pos)!)
    throw new Stop(this.pos, `invalid character ${quoteChar(c)} ${context}`)
  }

  private skipSpace(): void {
    while (isSpace(this.peek())) this.pos++
  }

  private expect(c: string, context: string): void {
    if (this.peek() !== c) this.fail(context)
    this.pos++
  }

  /**
   * Scans one value and what follows it. Containers are tracked on an explicit
   * stack rather than by recursion, so no nesting can overflow the call stack;
   * nesting deeper than `maxDepth` is refused as Go refuses it.
   */
  document(): void {
    const open: Array<Open> = []
    for (;;) {
      if (this.openValue(open)) continue
      if (this.closeValues(open)) return
    }
  }

  /**
   * Scans the start of a value. Returns `true` when it opened a non-empty
   * container, whose first element comes next; `false` when a whole value was
   * scanned.
   */
  private openValue(open: Array<Open>): boolean {
    this.skipSpace()
    const c = this.peek()
    if (c === "{" || c === "[") {
      if (open.length >= maxDepth) this.fail("exceeded max depth")
      this.pos++
      this.skipSpace()
      if (this.peek() === (c === "{" ? "}" : "]")) {
        this.pos++
        return false
      }
      const keys = c === "{" ? new Map<string, number>() : "["
      open.push(keys)
      if (keys !== "[") this.objectKey(keys)
      return true
    }
    if (c === "\"") this.string()
    else if (c === "-" || isDigit(c)) this.number()
    else if (c === "t") this.literal("true")
    else if (c === "f") this.literal("false")
    else if (c === "n") this.literal("null")
    else this.fail("looking for beginning of value")
    return false
  }

  /**
   * After a value: closes every container that ends here, then moves past the
   * `,` to the next element. Returns `true` when the document is complete.
   */
  private closeValues(open: Array<Open>): boolean {
    for (;;) {
      this.skipSpace()
      const container = open.at(-1)
      if (container === undefined) {
        if (this.pos < this.text.length) this.fail("after top-level value")
        return true
      }
      if (this.peek() === (container === "[" ? "]" : "}")) {
        this.pos++
        open.pop()
        continue
      }
      this.expect(",", container === "[" ? "after array element" : "after object key:value pair")
      if (container !== "[") this.objectKey(container)
      return false
    }
  }

  /**
   * An object's key and the `:` after it. Keys are compared as decoded, so
   * `"p\u0061th"` repeats `"path"`.
   */
  private objectKey(keys: Map<string, number>): void {
    this.skipSpace()
    if (this.peek() !== "\"") this.fail("looking for beginning of object key string")
    const start = this.pos
    const escaped = this.string()
    const key = escaped
      ? JSON.parse(this.text.slice(start, this.pos)) as string
      : this.text.slice(start + 1, this.pos - 1)
    const first = keys.get(key)
    if (first !== undefined) throw new Stop(start, `duplicate key ${JSON.stringify(key)}`, first)
    keys.set(key, start)
    this.skipSpace()
    this.expect(":", "after object key")
  }

  /** Scans a string; returns whether it holds an escape. */
  private string(): boolean {
    let escaped = false
    this.pos++
    for (;;) {
      const c = this.peek()
      if (c === "\"") {
        this.pos++
        return escaped
      }
      if (c === "\\") {
        escaped = true
        this.pos++
        this.escape()
      } else if (c === undefined || c < " ") {
        this.fail("in string literal")
      } else {
        this.pos++
      }
    }
  }

  private escape(): void {
    const c = this.peek()
    if (c === "u") {
      this.pos++
      for (let i = 0; i < 4; i++) {
        if (!isHex(this.peek())) this.fail("in \\u hexadecimal character escape")
        this.pos++
      }
    } else if (c !== undefined && "\"\\/bfnrt".includes(c)) {
      this.pos++
    } else {
      this.fail("in string escape code")
    }
  }

  private digits(): void {
    while (isDigit(this.peek())) this.pos++
  }

  private number(): void {
    if (this.peek() === "-") this.pos++
    if (this.peek() === "0") this.pos++
    else if (isDigit(this.peek())) this.digits()
    else this.fail("in numeric literal")
    if (this.peek() === ".") {
      this.pos++
      if (!isDigit(this.peek())) this.fail("after decimal point in numeric literal")
      this.digits()
    }
    if (this.peek() === "e" || this.peek() === "E") {
      this.pos++
      if (this.peek() === "+" || this.peek() === "-") this.pos++
      if (!isDigit(this.peek())) this.fail("in exponent of numeric literal")
      this.digits()
    }
  }

  private literal(word: string): void {
    this.pos++
    for (const expected of word.slice(1)) {
      if (this.peek() !== expected) this.fail(`in literal ${word} (expecting '${expected}')`)
      this.pos++
    }
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

/** The first syntax error in `text`, or `undefined` when `text` is one JSON value. */
export const findJsonSyntaxError = (text: string): JsonSyntaxError | undefined => {
  try {
    new Scanner(text).document()
    return undefined
  } catch (stop) {
    if (!(stop instanceof Stop)) throw stop
    if (stop.firstOffset === undefined) return { ...locate(text, stop.offset), message: stop.message }
    const first = locate(text, stop.firstOffset)
    return {
      ...locate(text, stop.offset),
      message: `${stop.message} (first at line ${first.line}, column ${first.column})`
    }
  }
}
