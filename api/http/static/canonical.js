// Canonical msgpack (docs/log-format.md, section 2), for the browser: the statement an officer is
// about to sign is decoded here and compared with what the page shows before any signature.
//
// Values: integers are Numbers (BigInt beyond 2^53 − 1), text is a String, a byte string is a
// Uint8Array, arrays are Arrays, maps are plain Objects. decode() refuses every byte form that is
// not the canonical one: forbidden types, longer-than-needed forms, text that is not NFC,
// non-text or unsorted or repeated map keys, truncated input and trailing bytes.

const MAX_DEPTH = 16;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class CanonicalError extends Error {}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function head(out, small, base, wide, length) {
  // the shortest header for a length: fix form, then 8/16/32-bit forms (wide[0] is null if none)
  if (small !== null && length <= small) out.push(base + length);
  else if (wide[0] !== null && length <= 0xff) out.push(wide[0], length);
  else if (length <= 0xffff) out.push(wide[1], length >> 8, length & 0xff);
  else out.push(wide[2], (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

function pushUint(out, marker, value, bytes) {
  const big = BigInt(value);
  out.push(marker);
  for (let i = bytes - 1; i >= 0; i--) out.push(Number((big >> BigInt(8 * i)) & 0xffn));
}

function encodeInto(out, value, depth) {
  if (depth > MAX_DEPTH) throw new CanonicalError(`nested deeper than ${MAX_DEPTH} levels`);
  if (typeof value === "boolean") out.push(value ? 0xc3 : 0xc2);
  else if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new CanonicalError(`${value} is not an integer a statement can hold`);
    }
    const n = BigInt(value);
    if (n >= 0n) {
      if (n <= 0x7fn) out.push(Number(n));
      else if (n <= 0xffn) pushUint(out, 0xcc, n, 1);
      else if (n <= 0xffffn) pushUint(out, 0xcd, n, 2);
      else if (n <= 0xffffffffn) pushUint(out, 0xce, n, 4);
      else pushUint(out, 0xcf, n, 8);
    } else {
      if (n >= -32n) out.push(Number(n + 256n));
      else if (n >= -128n) pushUint(out, 0xd0, n + 0x100n, 1);
      else if (n >= -32768n) pushUint(out, 0xd1, n + 0x10000n, 2);
      else if (n >= -(2n ** 31n)) pushUint(out, 0xd2, n + 2n ** 32n, 4);
      else pushUint(out, 0xd3, n + 2n ** 64n, 8);
    }
  } else if (typeof value === "string") {
    const bytes = utf8.encode(value.normalize("NFC"));
    head(out, 31, 0xa0, [0xd9, 0xda, 0xdb], bytes.length);
    for (const b of bytes) out.push(b);
  } else if (value instanceof Uint8Array) {
    head(out, null, 0, [0xc4, 0xc5, 0xc6], value.length);
    for (const b of value) out.push(b);
  } else if (Array.isArray(value)) {
    head(out, 15, 0x90, [null, 0xdc, 0xdd], value.length);
    for (const item of value) encodeInto(out, item, depth + 1);
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [utf8.encode(k.normalize("NFC")), v]);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    head(out, 15, 0x80, [null, 0xde, 0xdf], entries.length);
    for (const [key, item] of entries) {
      head(out, 31, 0xa0, [0xd9, 0xda, 0xdb], key.length);
      for (const b of key) out.push(b);
      encodeInto(out, item, depth + 1);
    }
  } else {
    throw new CanonicalError(`a statement holds no ${value === null ? "null" : typeof value}`);
  }
}

export function encode(value) {
  const out = [];
  encodeInto(out, value, 0);
  return Uint8Array.from(out);
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }
  take(n) {
    if (this.at + n > this.bytes.length) throw new CanonicalError("truncated: the value does not end");
    const part = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return part;
  }
  uint(n) {
    let v = 0n;
    for (const b of this.take(n)) v = (v << 8n) | BigInt(b);
    return v;
  }
}

function number(big) {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
}

function text(reader, length) {
  let decoded;
  try {
    decoded = strictUtf8.decode(reader.take(length));
  } catch (error) {
    if (error instanceof CanonicalError) throw error;
    throw new CanonicalError("text that is not valid UTF-8");
  }
  if (decoded.normalize("NFC") !== decoded) throw new CanonicalError("text that is not in NFC");
  return decoded;
}

function readValue(reader, depth) {
  if (depth > MAX_DEPTH) throw new CanonicalError(`nested deeper than ${MAX_DEPTH} levels`);
  const b = reader.take(1)[0];
  if (b <= 0x7f) return b;
  if (b >= 0xe0) return b - 256;
  if (b >= 0xa0 && b <= 0xbf) return text(reader, b - 0xa0);
  if (b >= 0x90 && b <= 0x9f) return array(reader, b - 0x90, depth);
  if (b >= 0x80 && b <= 0x8f) return map(reader, b - 0x80, depth);
  switch (b) {
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xcc: return number(reader.uint(1));
    case 0xcd: return number(reader.uint(2));
    case 0xce: return number(reader.uint(4));
    case 0xcf: return number(reader.uint(8));
    case 0xd0: return number(reader.uint(1) - 0x100n);
    case 0xd1: return number(reader.uint(2) - 0x10000n);
    case 0xd2: return number(reader.uint(4) - 2n ** 32n);
    case 0xd3: return number(reader.uint(8) - 2n ** 64n);
    case 0xd9: return text(reader, Number(reader.uint(1)));
    case 0xda: return text(reader, Number(reader.uint(2)));
    case 0xdb: return text(reader, Number(reader.uint(4)));
    case 0xc4: return reader.take(Number(reader.uint(1))).slice();
    case 0xc5: return reader.take(Number(reader.uint(2))).slice();
    case 0xc6: return reader.take(Number(reader.uint(4))).slice();
    case 0xdc: return array(reader, Number(reader.uint(2)), depth);
    case 0xdd: return array(reader, Number(reader.uint(4)), depth);
    case 0xde: return map(reader, Number(reader.uint(2)), depth);
    case 0xdf: return map(reader, Number(reader.uint(4)), depth);
    default:
      throw new CanonicalError(`byte 0x${b.toString(16).padStart(2, "0")} (nil, float or extension) is not allowed`);
  }
}

function array(reader, count, depth) {
  const items = [];
  for (let i = 0; i < count; i++) items.push(readValue(reader, depth + 1));
  return items;
}

function map(reader, count, depth) {
  const result = {};
  for (let i = 0; i < count; i++) {
    const key = readValue(reader, depth + 1);
    if (typeof key !== "string") throw new CanonicalError("a map key that is not text");
    if (Object.prototype.hasOwnProperty.call(result, key)) throw new CanonicalError(`map key ${key} repeated`);
    result[key] = readValue(reader, depth + 1);
  }
  return result;
}

export function decode(bytes) {
  const reader = new Reader(bytes);
  const value = readValue(reader, 0);
  if (reader.at !== bytes.length) throw new CanonicalError("trailing bytes after the value");
  const again = encode(value);
  if (compareBytes(again, bytes) !== 0) {
    throw new CanonicalError("not the canonical form (a longer form than needed, or unsorted keys)");
  }
  return value;
}

// The prefix an Ed25519 signature covers before the statement bytes (docs/log-format.md, section 6).
export const SIGNING_PREFIX = utf8.encode("lienthong statement v1\n");
