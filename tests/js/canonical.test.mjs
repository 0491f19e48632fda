// The browser's canonical msgpack against the golden vectors the Python ledger is tested with
// (tests/golden/vectors.json): the same bytes from the same fields, the same fields from the same
// bytes, the same SHA-256, and each signature verifying with WebCrypto Ed25519. Run with
// `node --test tests/js/` (tests/test_js.py runs it under pytest).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import { CanonicalError, SIGNING_PREFIX, decode, encode } from "../../api/http/static/canonical.js";

const golden = JSON.parse(readFileSync(new URL("../golden/vectors.json", import.meta.url), "utf-8"));
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const unhex = (text) => new Uint8Array(Buffer.from(text, "hex"));

function fromJson(value) {
  // the vectors write a byte string as {"bin": "<hex>"}
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "bin") return unhex(value.bin);
    return Object.fromEntries(keys.map((k) => [k, fromJson(value[k])]));
  }
  return value;
}

test("the signing prefix is the vectors'", () => {
  assert.equal(hex(SIGNING_PREFIX), golden.signing_prefix);
});

for (const vector of golden.vectors) {
  test(`${vector.name}: fields encode to the statement bytes, byte for byte`, () => {
    assert.equal(hex(encode(fromJson(vector.fields))), vector.statement);
  });

  test(`${vector.name}: the statement bytes decode to the fields`, () => {
    assert.deepStrictEqual(decode(unhex(vector.statement)), fromJson(vector.fields));
  });

  test(`${vector.name}: SHA-256 and the signature (${vector.scheme ?? "ed25519"}) check out in WebCrypto`, async () => {
    const statement = unhex(vector.statement);
    const digest = new Uint8Array(await webcrypto.subtle.digest("SHA-256", statement));
    assert.equal(hex(digest), vector.sha256);
    // a vector without a scheme is Ed25519; the others are signed with a certificate key, whose
    // public_key is a DER SubjectPublicKeyInfo (docs/log-format.md section 6.2)
    const [format, imported, verifying] = {
      undefined: ["raw", { name: "Ed25519" }, { name: "Ed25519" }],
      "ecdsa-p256-sha256": ["spki", { name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
      "rsa-pss-sha256": ["spki", { name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
    }[vector.scheme];
    const key = await webcrypto.subtle.importKey(format, unhex(vector.public_key), imported, false, ["verify"]);
    const signed = new Uint8Array([...SIGNING_PREFIX, ...statement]);
    assert.ok(await webcrypto.subtle.verify(verifying, key, unhex(vector.signature), signed));
    signed[signed.length - 1] ^= 1;
    assert.ok(!(await webcrypto.subtle.verify(verifying, key, unhex(vector.signature), signed)));
  });
}

test("text is put in NFC before it is encoded, as the Python writer does", () => {
  const decomposed = "Đơn đề nghị".normalize("NFD");
  assert.equal(hex(encode({ note: decomposed })), hex(encode({ note: "Đơn đề nghị" })));
});

const refused = {
  "a longer integer form than needed": "cc05",
  "a negative int form for a positive value": "d005",
  "map keys out of order": "82a16201a16102",
  "a repeated map key": "82a16101a16101",
  "a map key that is not text": "810102",
  "text that is not NFC": "a3" + Buffer.from("e\u0301", "utf-8").toString("hex"),
  "text that is not UTF-8": "a2c328",
  "text in a longer form than needed": "d90161",
  "nil": "c0",
  "a float": "ca00000000",
  "an extension": "d40100",
  "trailing bytes": "0101",
  "truncated input": "92a1",
  "nesting deeper than 16": "91".repeat(17) + "00",
};
for (const [what, input] of Object.entries(refused)) {
  test(`refused: ${what}`, () => {
    assert.throws(() => decode(unhex(input)), CanonicalError);
  });
}

test("values a statement cannot hold are refused by the encoder", () => {
  assert.throws(() => encode({ at: 1.5 }), CanonicalError);
  assert.throws(() => encode({ note: null }), CanonicalError);
});
