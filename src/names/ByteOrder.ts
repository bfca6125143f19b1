/**
 * The order Go sorts strings in: by their UTF-8 bytes, which is the order of
 * their code points. JavaScript's `<` compares UTF-16 code units instead, and
 * the two disagree exactly when a character above U+FFFF (two surrogates,
 * D800–DFFF) meets one from U+E000 to U+FFFF: `"\u{1F600}" < "\uE000"` in
 * JavaScript, the other way round in Go. Names, keys and listings use this
 * order everywhere, so output matches dockerd's.
 */

const isSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdfff

/** Negative, zero or positive as `left` sorts before, with or after `right` in UTF-8 byte order. */
export const compareBytes = (left: string, right: string): number => {
  const length = Math.min(left.length, right.length)
  for (let i = 0; i < length; i++) {
    const a = left.charCodeAt(i)
    const b = right.charCodeAt(i)
    if (a === b) continue
    // A surrogate starts a code point above U+FFFF, after every other unit's.
    if (isSurrogate(a) !== isSurrogate(b)) return isSurrogate(a) ? 1 : -1
    return a - b
  }
  return left.length - right.length
}
