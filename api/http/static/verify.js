// The browser's own check of an audit bundle (docs/log-format.md, sections 11 to 13), so that a
// reader need not trust the server that shows a verdict: against a log key the reader got from
// elsewhere, it checks the checkpoint's signature, every entry's inclusion proof against the
// checkpoint's root, every statement's signature by the key the bundle registers for it, and that
// every subject's history follows on (seq and prev), and that no entry is signed with a key whose
// `key.revoked` comes earlier in the log (a revoked key signs nothing more, whatever the date its
// statement carries: the rule the server's replay applies, in the same order). It does not replay
// the ledger's other rules (keys' and officers' validity at the time, custody): the server's check
// and `lienthong verify-bundle` do. Runs in the browser and under node's test runner (WebCrypto
// Ed25519 and SHA-256 in both).
//
// A key whose registered `public_key` is not 32 bytes is the DER SubjectPublicKeyInfo of a
// certificate key (an official-duty certificate's): RSA of at least 2048 bits, verified as RSA-PSS
// (SHA-256, MGF1-SHA-256, salt 32), or ECDSA P-256 with SHA-256 and the 64-byte r ‖ s signature,
// over the same prefix and bytes (docs/log-format.md section 6). Its key id hashes the SPKI bytes.
// The certificates themselves (`certificates` in key.registered holds only their hashes) and their
// chain to a trust anchor, validity and revocation are checked by `lienthong verify-bundle` with
// the deployment's trust anchors, not here.
import { SIGNING_PREFIX, decode, encode } from "./canonical.js";

const utf8 = new TextEncoder();
const KEY_ID_PREFIX = utf8.encode("lienthong key v1\n");
const ZERO = new Uint8Array(32);
const BUNDLE_KEYS = "checkpoint,dossier,entries,format,v";
// side data of certificate entries, checked by `lienthong verify-bundle`, not here: certificates
// and revocation data (pki), RFC 3161 tokens (timestamps), certificates left out (withheld)
const BUNDLE_OPTIONAL = ["pki", "timestamps", "withheld"];
const ENTRY_KEYS = "index,proof,recorded_at,signature,statement";
const MAX_PROBLEMS = 20; // a bundle changed everywhere is said to be so without a page of lines

// What stops or fails the check: a code the page words (with `details` in its placeholders).
export class BundleProblem extends Error {
  constructor(code, details = {}) {
    super(`${code} ${JSON.stringify(details)}`);
    this.code = code;
    this.details = details;
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equal(a, b) {
  return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

// Standard base64 with padding, nothing else (RFC 4648 section 4), or null.
function fromBase64(text) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function ed25519(publicKey, signature, message) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

const ED25519_KEY_BYTES = 32;
const RSA_MIN_BITS = 2048; // as the ledger: RSA ≥ 2048 with PSS, or ECDSA P-256
const PSS_SALT_BYTES = 32;
const OID_RSA = "1.2.840.113549.1.1.1"; // rsaEncryption
const OID_EC = "1.2.840.10045.2.1"; // id-ecPublicKey
const OID_P256 = "1.2.840.10045.3.1.7"; // prime256v1 (secp256r1)

// One DER element of `bytes` at `at`: its tag, content and where it ends; null unless its length is
// in its one DER form and within the bytes.
function derElement(bytes, at) {
  if (at + 2 > bytes.length) return null;
  const tag = bytes[at];
  let length = bytes[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > bytes.length || bytes[start] === 0) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    if (length < 0x80) return null;
    start += count;
  }
  const end = start + length;
  return end > bytes.length ? null : { tag, content: bytes.subarray(start, end), end };
}

// The elements a constructed element's content holds, with their tags; null unless they fill it.
function derSequence(content, tags) {
  const out = [];
  let at = 0;
  for (const tag of tags) {
    const element = derElement(content, at);
    if (element === null || element.tag !== tag) return null;
    out.push(element);
    at = element.end;
  }
  return at === content.length ? out : null;
}

function oidText(content) {
  if (content.length === 0 || content[content.length - 1] & 0x80) return "";
  const arcs = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0] / 40), 2);
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join(".");
}

// What a certificate key's SubjectPublicKeyInfo is: { kind: "rsa", bits } or { kind: "ecdsa" }
// (P-256). Reads only SEQUENCE { SEQUENCE { OID, parameters }, BIT STRING } and, for RSA, the
// modulus; WebCrypto's import checks the rest. Throws BundleProblem "unsupported_key" for
// anything else, "weak_key" for an RSA key under 2048 bits.
export function certificateKeyKind(spki) {
  const unsupported = () => new BundleProblem("unsupported_key");
  const outer = derElement(spki, 0);
  if (outer === null || outer.tag !== 0x30 || outer.end !== spki.length) throw unsupported();
  const parts = derSequence(outer.content, [0x30, 0x03]);
  if (parts === null) throw unsupported();
  const [algorithm, bits] = parts;
  const oid = derElement(algorithm.content, 0);
  if (oid === null || oid.tag !== 0x06) throw unsupported();
  const parameters = algorithm.content.subarray(oid.end);
  const key = bits.content;
  if (key[0] !== 0) throw unsupported(); // a key is whole bytes: no unused bits
  if (oidText(oid.content) === OID_RSA) {
    const inner = derElement(key, 1);
    const numbers = inner && inner.tag === 0x30 && inner.end === key.length ? derSequence(inner.content, [0x02, 0x02]) : null;
    if (parameters.length !== 2 || parameters[0] !== 0x05 || parameters[1] !== 0 || numbers === null) throw unsupported();
    const modulus = numbers[0].content;
    let first = 0;
    while (first < modulus.length && modulus[first] === 0) first += 1;
    const size = first < modulus.length ? (modulus.length - first - 1) * 8 + (32 - Math.clz32(modulus[first])) : 0;
    if (size < RSA_MIN_BITS) throw new BundleProblem("weak_key", { bits: size, min: RSA_MIN_BITS });
    return { kind: "rsa", bits: size };
  }
  if (oidText(oid.content) === OID_EC) {
    const curve = derSequence(parameters, [0x06]);
    if (curve === null || oidText(curve[0].content) !== OID_P256) throw unsupported();
    return { kind: "ecdsa" };
  }
  throw unsupported();
}

// A registered public key, ready to verify with: Ed25519 for 32 bytes, else a certificate key.
// Throws BundleProblem "unsupported_key" or "weak_key" (with the reason in its details).
export async function importPublicKey(publicKey) {
  if (publicKey.length === ED25519_KEY_BYTES) return { kind: "ed25519", publicKey };
  const { kind, bits } = certificateKeyKind(publicKey);
  const algorithm = kind === "rsa" ? { name: "RSA-PSS", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
  try {
    const key = await crypto.subtle.importKey("spki", publicKey, algorithm, false, ["verify"]);
    return { kind, bits, key };
  } catch {
    throw new BundleProblem("unsupported_key"); // what the SPKI's outer form announced it is not
  }
}

// Whether `signature` over `message` holds with a key from importPublicKey.
export async function signatureHolds(imported, signature, message) {
  if (!(signature instanceof Uint8Array)) return false;
  if (imported.kind === "ed25519") return ed25519(imported.publicKey, signature, message);
  if (imported.kind === "rsa") {
    if (signature.length !== Math.ceil(imported.bits / 8)) return false;
    return crypto.subtle.verify({ name: "RSA-PSS", saltLength: PSS_SALT_BYTES }, imported.key, signature, message);
  }
  if (signature.length !== 64) return false; // ECDSA P-256: r ‖ s, as WebCrypto takes it
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, imported.key, signature, message);
}

// Whether `signature` is the key's over the statement bytes (the signing prefix added here).
export async function statementSigned(publicKey, statement, signature) {
  return signatureHolds(await importPublicKey(publicKey), signature, concat(SIGNING_PREFIX, statement));
}

export async function keyId(publicKey) {
  return hex((await sha256(KEY_ID_PREFIX, publicKey)).slice(0, 16));
}

// A C2SP verifier key, `<origin>+<8 hex digits>+<base64(0x01 ‖ public key)>`, its hash checked.
export async function parseVerifierKey(line) {
  const found = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(line.trim()); // base64 may hold "+"
  const raw = found ? fromBase64(found[3]) : null;
  if (raw === null || raw.length !== 33 || raw[0] !== 1) throw new BundleProblem("bad_key");
  const [origin, hashHex] = found.slice(1);
  const publicKey = raw.slice(1);
  const hash = (await sha256(utf8.encode(origin), Uint8Array.of(0x0a, 0x01), publicKey)).slice(0, 4);
  if (hex(hash) !== hashHex) throw new BundleProblem("bad_key");
  return { origin, hash, publicKey };
}

// The checkpoint's size and root, once its note is signed by `key` (C2SP signed note and
// tlog-checkpoint). Lines by other keys (witnesses' cosignatures) are passed over.
export async function openCheckpoint(note, key) {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new BundleProblem("checkpoint_form");
  const text = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = text.split("\n");
  const root = fromBase64(rootText ?? "");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText ?? "") || root === null || root.length !== 32) {
    throw new BundleProblem("checkpoint_form");
  }
  let signed = false;
  for (const line of note.slice(split + 2).split("\n")) {
    if (line === "") continue;
    const found = /^\u2014 (\S+) (\S+)$/.exec(line);
    const blob = found ? fromBase64(found[2]) : null;
    if (blob === null) throw new BundleProblem("checkpoint_form");
    if (found[1] !== key.origin || blob.length !== 68 || !equal(blob.slice(0, 4), key.hash)) continue;
    if (!(await ed25519(key.publicKey, blob.slice(4), utf8.encode(text)))) {
      throw new BundleProblem("checkpoint_signature");
    }
    signed = true;
  }
  if (!signed) throw new BundleProblem("checkpoint_unsigned", { origin: key.origin });
  if (origin !== key.origin) throw new BundleProblem("checkpoint_origin", { found: origin, origin: key.origin });
  return { size: Number(sizeText), root };
}

export async function leafHash(entry) {
  const { recorded_at, signature, statement } = entry;
  return sha256(Uint8Array.of(0), encode({ recorded_at, signature, statement, v: 1 }));
}

// RFC 9162 section 2.1.3.2, with whole numbers (a log may outgrow 32-bit operators).
export async function inclusionVerifies(index, size, hash, proof, root) {
  if (!(index < size) || !proof.every((p) => p instanceof Uint8Array && p.length === 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r = hash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

const family = (kind) => (kind.startsWith("handover.") ? "dossier" : kind.split(".")[0]);
const isMap = (value) => value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array);
const keysOf = (value) => Object.keys(value).sort().join(",");

function wellFormed(entry) {
  return (
    isMap(entry) && keysOf(entry) === ENTRY_KEYS && Number.isSafeInteger(entry.index) && Array.isArray(entry.proof) &&
    Number.isSafeInteger(entry.recorded_at) && entry.signature instanceof Uint8Array && entry.statement instanceof Uint8Array
  );
}

// The keys a statement puts in force once its own signature has checked out.
async function keysRegistered(s, keys) {
  const publicKey = isMap(s.body) ? s.body.public_key : undefined; // Ed25519, or a certificate key's SPKI
  if (!(publicKey instanceof Uint8Array) || publicKey.length === 0) return;
  if (s.kind === "authority.rotated") keys.set(await keyId(publicKey), publicKey);
  if (s.kind === "key.registered" && s.subject === (await keyId(publicKey))) keys.set(s.subject, publicKey);
}

// Check `bytes` (an audit bundle) against `keyLine` (the log's verifier key). Throws a
// BundleProblem when there is nothing to check (a bad key, not a bundle, the checkpoint not
// signed by that key); otherwise returns the verdict, with every problem found in the entries.
export async function checkBundle(bytes, keyLine) {
  const key = await parseVerifierKey(keyLine);
  let bundle;
  try {
    bundle = decode(bytes);
  } catch (error) {
    throw new BundleProblem("not_canonical", { reason: error.message });
  }
  const required = isMap(bundle) ? Object.keys(bundle).filter((k) => !BUNDLE_OPTIONAL.includes(k)).sort().join(",") : "";
  if (!isMap(bundle) || required !== BUNDLE_KEYS || BUNDLE_OPTIONAL.some((k) => k in bundle && !Array.isArray(bundle[k])) ||
      bundle.format !== "lienthong-bundle" || bundle.v !== 1 ||
      typeof bundle.dossier !== "string" || typeof bundle.checkpoint !== "string" || !Array.isArray(bundle.entries)) {
    throw new BundleProblem("not_bundle");
  }
  const { size, root } = await openCheckpoint(bundle.checkpoint, key);
  const problems = [];
  const keys = new Map();
  const imported = new Map(); // key id → importPublicKey's promise: each key imported once
  let certified = 0; // entries whose signature by a certificate key holds
  const revoked = new Map(); // key id → the log position of its key.revoked
  const heads = new Map();
  let previous = -1;
  let mine = 0;
  for (const [n, entry] of bundle.entries.entries()) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (!wellFormed(entry)) {
      problems.push(new BundleProblem("entry_form", { n: n + 1 }));
      continue;
    }
    const { index, statement } = entry;
    if (index <= previous || index >= size) {
      problems.push(new BundleProblem("index", { index, size }));
      continue;
    }
    previous = index;
    if (!(await inclusionVerifies(index, size, await leafHash(entry), entry.proof, root))) {
      problems.push(new BundleProblem("proof", { index }));
    }
    let s;
    try {
      s = decode(statement);
    } catch (error) {
      problems.push(new BundleProblem("statement", { index, reason: error.message }));
      continue;
    }
    if (!isMap(s) || typeof s.kind !== "string" || typeof s.subject !== "string" || typeof s.key !== "string") {
      problems.push(new BundleProblem("statement", { index, reason: "not a version-1 statement" }));
      continue;
    }
    if (s.kind === "authority.established" && isMap(s.body) && s.body.public_key instanceof Uint8Array &&
        (await keyId(s.body.public_key)) === s.key) {
      keys.set(s.key, s.body.public_key); // self-signed: the genesis names its own key
    }
    const publicKey = keys.get(s.key);
    let key = null;
    if (publicKey !== undefined) {
      if (!imported.has(s.key)) {
        const refused = (problem) => { if (problem instanceof BundleProblem) return problem; throw problem; };
        imported.set(s.key, importPublicKey(publicKey).catch(refused));
      }
      key = await imported.get(s.key);
    }
    if (publicKey === undefined) {
      problems.push(new BundleProblem("unknown_key", { index, key: s.key }));
    } else if (key instanceof BundleProblem) {
      problems.push(new BundleProblem(key.code, { ...key.details, index, key: s.key }));
    } else if (!(await signatureHolds(key, entry.signature, concat(SIGNING_PREFIX, statement)))) {
      problems.push(new BundleProblem("signature", { index }));
    } else if (revoked.has(s.key)) {
      problems.push(new BundleProblem("key_revoked", { index, key: s.key, revoked: revoked.get(s.key) }));
    } else {
      if (key.kind !== "ed25519") certified += 1;
      await keysRegistered(s, keys);
      if (s.kind === "key.revoked" && !revoked.has(s.subject)) revoked.set(s.subject, index);
    }
    const subject = `${family(s.kind)} ${s.subject}`;
    const head = heads.get(subject) ?? { seq: 0, hash: ZERO };
    if (s.seq !== head.seq + 1 || !equal(s.prev, head.hash)) {
      problems.push(new BundleProblem("chain", { index, subject: s.subject }));
    }
    heads.set(subject, { seq: s.seq, hash: await sha256(statement) });
    if (family(s.kind) === "dossier" && s.subject === bundle.dossier) mine += 1;
  }
  if (mine === 0 && problems.length === 0) problems.push(new BundleProblem("no_dossier", { code: bundle.dossier }));
  return { ok: problems.length === 0, dossier: bundle.dossier, entries: bundle.entries.length, mine, size, certified, problems };
}

// A problem in the page's words: `words` maps each code to a text with {placeholders}.
export function say(problem, words) {
  const text = words[problem.code] ?? problem.message;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(problem.details[name] ?? ""));
}
