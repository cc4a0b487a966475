/**
 * Z85 (ZeroMQ RFC 32), the text form of CurveZMQ keys: 5 characters per 4 bytes. zeromq.js hands
 * keys out as Z85 strings but exposes no codec; the routing proofs need the raw 32 bytes.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Encodes bytes (a multiple of 4) as Z85. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error('z85: length must be a multiple of 4');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] as number) * 0x1000000 + ((bytes[i + 1] as number) << 16)) >>> 0;
    value += ((bytes[i + 2] as number) << 8) + (bytes[i + 3] as number);
    let chunk = '';
    for (let k = 0; k < 5; k++) {
      chunk = (ALPHABET[value % 85] as string) + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/**
 * Decodes Z85 text (a multiple of 5 characters).
 * @throws Error on a wrong length or a character outside the alphabet
 */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Error('z85: length must be a multiple of 5');
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const d = DECODE.get(text[i + k] as string);
      if (d === undefined) throw new Error('z85: invalid character');
      value = value * 85 + d;
    }
    if (value > 0xffffffff) throw new Error('z85: chunk out of range');
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** True when `text` is a 40-character Z85 CurveZMQ key. */
export function isCurveKey(text: string): boolean {
  if (text.length !== 40) return false;
  try {
    z85Decode(text);
    return true;
  } catch {
    return false;
  }
}
