// The browser's check of statements signed with certificate keys (api/http/static/verify.js): an
// RSA key of at least 2048 bits verified as RSA-PSS (SHA-256, salt 32), an ECDSA P-256 key with
// the 64-byte r ‖ s signature, each given by its DER SubjectPublicKeyInfo. The fixtures are the
// Python ledger's (tests/js/make_cert_fixtures.py: tests/pki.py's fixed keys signed by
// ledger.statements.signing, which accepted or refused each one before it was written).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decode, encode } from "../../api/http/static/canonical.js";
import {
  BundleProblem,
  certificateKeyKind,
  checkBundle,
  importPublicKey,
  keyId,
  say,
  statementSigned,
} from "../../api/http/static/verify.js";

const fixtures = JSON.parse(readFileSync(new URL("./cert-fixtures.json", import.meta.url), "utf-8"));
const unhex = (text) => new Uint8Array(Buffer.from(text, "hex"));
const publicKey = (name) => unhex(fixtures.keys[name].public_key);
const signed = (name) => {
  const found = fixtures.signed.find((s) => s.signer === name);
  return { statement: unhex(found.statement), signature: unhex(found.signature), python: found.python };
};
const flipped = (bytes, at) => {
  const copy = bytes.slice();
  copy[at] ^= 1;
  return copy;
};

async function refusedWith(promise, code) {
  let caught;
  await assert.rejects(promise, (error) => {
    caught = error;
    return error instanceof BundleProblem && error.code === code;
  });
  return caught;
}

test("the key id of a certificate key hashes its SubjectPublicKeyInfo, as the Python ledger's does", async () => {
  for (const [name, key] of Object.entries(fixtures.keys)) {
    assert.equal(await keyId(unhex(key.public_key)), key.key_id, name);
  }
});

test("the kind of a certificate key is read from its SubjectPublicKeyInfo", () => {
  assert.deepEqual(certificateKeyKind(publicKey("rsa")), { kind: "rsa", bits: 2048 });
  assert.deepEqual(certificateKeyKind(publicKey("ec")), { kind: "ecdsa" });
});

test("a statement signed with an RSA key verifies as RSA-PSS; a flipped byte of the statement or the signature does not", async () => {
  const { statement, signature, python } = signed("rsa");
  assert.equal(python, "ok");
  assert.equal(await statementSigned(publicKey("rsa"), statement, signature), true);
  assert.equal(await statementSigned(publicKey("rsa"), flipped(statement, 20), signature), false);
  assert.equal(await statementSigned(publicKey("rsa"), statement, flipped(signature, 100)), false);
  assert.equal(await statementSigned(publicKey("rsa"), statement, signature.slice(1)), false);
});

test("a statement signed with an ECDSA P-256 key verifies, its signature r ‖ s as is; a flipped byte does not", async () => {
  const { statement, signature, python } = signed("ec");
  assert.equal(python, "ok");
  assert.equal(signature.length, 64);
  assert.equal(await statementSigned(publicKey("ec"), statement, signature), true);
  assert.equal(await statementSigned(publicKey("ec"), flipped(statement, 20), signature), false);
  assert.equal(await statementSigned(publicKey("ec"), statement, flipped(signature, 40)), false);
  assert.equal(await statementSigned(publicKey("ec"), statement, signature.slice(0, 63)), false);
});

test("a signature holds only with the key that made it", async () => {
  const { statement, signature } = signed("rsa");
  assert.equal(await statementSigned(publicKey("ec"), statement, signature), false);
  const other = signed("ec");
  assert.equal(await statementSigned(publicKey("rsa"), other.statement, other.signature), false);
});

test("an RSA key of 1024 bits is refused by name, though its signature is sound", async () => {
  const { statement, signature, python } = signed("weak");
  assert.equal(python, "WeakAlgorithm");
  const problem = await refusedWith(statementSigned(publicKey("weak"), statement, signature), "weak_key");
  assert.deepEqual(problem.details, { bits: 1024, min: 2048 });
  assert.throws(() => certificateKeyKind(publicKey("weak")), (error) => error.code === "weak_key");
});

test("a key that is neither RSA nor ECDSA P-256 is refused as unsupported", async () => {
  for (const name of ["p384", "ed25519-spki"]) {
    const { statement, signature, python } = signed(name);
    assert.equal(python, "WeakAlgorithm", name); // the Python ledger refuses them too
    await refusedWith(statementSigned(publicKey(name), statement, signature), "unsupported_key");
  }
});

test("bytes that are not a SubjectPublicKeyInfo in DER are refused as unsupported", async () => {
  const rsa = publicKey("rsa");
  const ec = publicKey("ec");
  const bad = {
    "one byte more": Uint8Array.of(...rsa, 0),
    "one byte less": rsa.slice(0, -1),
    "not DER at all": new Uint8Array(40).fill(0x41),
    empty: new Uint8Array(0),
    "31 bytes": new Uint8Array(31),
    "a length in a longer form than needed": Uint8Array.of(0x30, 0x81, 0x59, ...ec.slice(2)),
    "an RSA key with parameters other than NULL": (() => {
      const copy = rsa.slice();
      copy[17] = 0x04; // the NULL after rsaEncryption, made an empty OCTET STRING
      return copy;
    })(),
    "an EC key on another curve OID": (() => {
      const copy = ec.slice();
      copy[22] ^= 1; // the last byte of the prime256v1 OID
      return copy;
    })(),
    "a key of an unknown algorithm": (() => {
      const copy = ec.slice();
      copy[12] ^= 1; // the last byte of id-ecPublicKey
      return copy;
    })(),
  };
  for (const [what, bytes] of Object.entries(bad)) {
    await refusedWith(importPublicKey(bytes), "unsupported_key").catch((error) => {
      throw new Error(`${what}: ${error.message}`);
    });
  }
});

test("a 32-byte key is still Ed25519", async () => {
  const imported = await importPublicKey(new Uint8Array(32).fill(7));
  assert.equal(imported.kind, "ed25519");
});

test("a bundle whose statements are signed with certificate keys verifies, and counts them", async () => {
  const { sound } = fixtures.bundles;
  const verdict = await checkBundle(unhex(sound.bundle), fixtures.log_key);
  assert.deepEqual(verdict.problems, []);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.dossier, fixtures.dossier);
  assert.equal(verdict.mine, 2);
  assert.equal(verdict.certified, 2); // the dossier's two statements; the genesis and registrations are Ed25519
});

test("a bundle carrying side data (certificates, revocation data, timestamps, withheld) is read, and the side data left to verify-bundle", async () => {
  const bundle = decode(unhex(fixtures.bundles.sound.bundle));
  bundle.pki = [{ der: new Uint8Array([0x30, 0x00]), kind: "certificate" }];
  bundle.timestamps = [{ statement: new Uint8Array(32), token: new Uint8Array([0x30, 0x00]) }];
  bundle.withheld = [new Uint8Array(32)];
  const verdict = await checkBundle(encode(bundle), fixtures.log_key);
  assert.deepEqual(verdict.problems, []);
  assert.equal(verdict.ok, true);
  bundle.pki = "not a list";
  await assert.rejects(checkBundle(encode(bundle), fixtures.log_key), (error) => error.code === "not_bundle");
  delete bundle.pki;
  bundle.extra = [];
  await assert.rejects(checkBundle(encode(bundle), fixtures.log_key), (error) => error.code === "not_bundle");
});

test("key.registered may carry its certificates' hashes: the canonical decoder takes them as they are", () => {
  const bundle = decode(unhex(fixtures.bundles.sound.bundle));
  const registered = bundle.entries.map((e) => decode(e.statement)).filter((s) => s.kind === "key.registered");
  assert.equal(registered.length, 2);
  for (const s of registered) {
    assert.equal(s.body.certificates.length, 2); // leaf, then the subordinate CA
    assert.ok(s.body.certificates.every((digest) => digest instanceof Uint8Array && digest.length === 32));
    assert.deepEqual(encode(s), bundle.entries.find((e) => decode(e.statement).subject === s.subject).statement);
  }
});

test("in a bundle, a flipped byte of a certificate key's signature fails that entry", async () => {
  const bundle = decode(unhex(fixtures.bundles.sound.bundle));
  const last = bundle.entries.length - 1;
  bundle.entries[last] = { ...bundle.entries[last], signature: flipped(bundle.entries[last].signature, 10) };
  const verdict = await checkBundle(encode(bundle), fixtures.log_key);
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.problems.map((p) => [p.code, p.details.index]), [["proof", last], ["signature", last]]);
  assert.equal(verdict.certified, 1);
});

test("in a bundle, an entry signed with a 1024-bit RSA key is refused by name, the others verify", async () => {
  const { weak } = fixtures.bundles;
  const verdict = await checkBundle(unhex(weak.bundle), fixtures.log_key);
  assert.equal(verdict.ok, false);
  assert.deepEqual(
    verdict.problems.map((p) => [p.code, p.details]),
    [["weak_key", { bits: 1024, min: 2048, index: weak.size - 1, key: weak.last_key }]],
  );
  assert.equal(verdict.certified, 1);
  const words = { weak_key: "Mục ở vị trí {index}: khóa {key} là khóa RSA {bits} bit, dưới {min} bit." };
  assert.equal(say(verdict.problems[0], words), `Mục ở vị trí ${weak.size - 1}: khóa ${weak.last_key} là khóa RSA 1024 bit, dưới 2048 bit.`);
});

test("in a bundle, an entry signed with an ECDSA P-384 key is refused as unsupported", async () => {
  const { unsupported } = fixtures.bundles;
  const verdict = await checkBundle(unhex(unsupported.bundle), fixtures.log_key);
  assert.deepEqual(
    verdict.problems.map((p) => [p.code, p.details]),
    [["unsupported_key", { index: unsupported.size - 1, key: unsupported.last_key }]],
  );
});
