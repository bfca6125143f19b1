/**
 * Base32 with dockerd's vowel-free alphabet, used to turn a script's SHA-256
 * into a file-name suffix.
 */

/**
 * RFC 4648 base32 with the vowels replaced, so that a hash never spells a word
 * by accident. The names it produces are only ever compared, never decoded.
 */
export const disemvoweledAlphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZ-"

/**
 * Encodes `bytes` five bits at a time, most significant bit first, with the
 * last group zero-filled on the right.
 *
 * Unlike dockerd's Go encoder, which pads the output to a multiple of eight
 * characters with `=`, this one leaves the padding out: padding only helps a
 * decoder find where a value ends, the suffix is never decoded, and the four
 * `=` of a SHA-256 would only spend bytes of the 255-byte file-name budget
 * that the runtime name can use.
 */
export const encodeBase32 = (bytes: Uint8Array): string => {
  let out = ""
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += disemvoweledAlphabet[(buffer >> bits) & 0x1f]
    }
  }
  if (bits > 0) out += disemvoweledAlphabet[(buffer << (5 - bits)) & 0x1f]
  return out
}
