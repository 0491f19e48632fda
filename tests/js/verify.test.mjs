// The browser's check of an audit bundle (api/http/static/verify.js) against the log vectors of
// docs/log-format.md sections 11 and 12 (pinned to the Python ledger by tests/test_log_format.py):
// the four golden statements as leaves 0 to 3, their tree, an inclusion proof, the signed
// checkpoint and the log's verifier key. Then small bundles made of those leaves, whole and changed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decode, encode } from "../../api/http/static/canonical.js";
import {
  BundleProblem,
  checkBundle,
  inclusionVerifies,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  say,
  sha256,
} from "../../api/http/static/verify.js";

const golden = JSON.parse(readFileSync(new URL("../golden/vectors.json", import.meta.url), "utf-8"));
// real bundles from the Python ledger, with a key's revocation in them (tests/golden/make_bundles.py)
const bundles = JSON.parse(readFileSync(new URL("../golden/bundles.json", import.meta.url), "utf-8"));
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const unhex = (text) => new Uint8Array(Buffer.from(text, "hex"));

const KEY = "example.lienthong/log+d0d60060+AQD15Diw+H3htpr/vE/19BKYZnrfhhYQye+uaOcJigZg";
const NOTE =
  "example.lienthong/log\n4\nCK9JkF6Oft5ihyModeN2VgEwPZRim7vYQOcLgZUv+s0=\n\n" +
  "\u2014 example.lienthong/log 0NYAYC+DSDPau6J5uWGZyvsqDJdh5l6LvixrRQBrw2gbZqN/g0A2mDwL1FS2CkRlIgNXJkVxW1gLpfaB12pjrTJc+g8=\n";
const LEAF_HASHES = [
  "62cdece003a678569c75341c59dae8244d8ba360d2b315f3ad201816a6ec1eac",
  "f328d9f44a2e28e1d112486a988083d27a9d11cc116f4e9a233525fde3baad68",
  "20f4800ba8e678977f8a3d4929f430dc78f87443eb46e55ef2b9eeeccb72c7a9",
  "f262e2bdcd807a819564cbc171cee0c699172f7bad7998c141d8b2910ff0c13c",
].map(unhex);
const ROOT = "08af49905e8e7ede6287232875e3765601303d94629bbbd840e70b81952ffacd";
const RECORDED = 1748846400000000; // leaf i was recorded i seconds later

const leaf = (i) => ({
  index: i,
  recorded_at: RECORDED + i * 1000000,
  signature: unhex(golden.vectors[i].signature),
  statement: unhex(golden.vectors[i].statement),
});
const node = (a, b) => sha256(Uint8Array.of(1), a, b);

// proofs at size 4: a leaf's sibling, then the other pair's hash
async function proof(i) {
  const pair = i < 2 ? [LEAF_HASHES[2], LEAF_HASHES[3]] : [LEAF_HASHES[0], LEAF_HASHES[1]];
  return [LEAF_HASHES[i ^ 1], await node(...pair)];
}

async function bundle(entries, overrides = {}) {
  const withProofs = [];
  for (const entry of entries) withProofs.push({ proof: await proof(entry.index), ...entry });
  return encode({ checkpoint: NOTE, dossier: golden.vectors[1].fields.subject, entries: withProofs, format: "lienthong-bundle", v: 1, ...overrides });
}

async function refusedWith(promise, code) {
  await assert.rejects(promise, (error) => error instanceof BundleProblem && error.code === code);
}

test("each golden statement, recorded as in section 11, has the leaf hash of the vector", async () => {
  for (let i = 0; i < 4; i++) assert.equal(hex(await leafHash(leaf(i))), hex(LEAF_HASHES[i]));
});

test("the inclusion proof of index 1 at size 4 is the vector's, and leads to the root", async () => {
  const path = await proof(1);
  assert.deepEqual(path.map(hex), [
    "62cdece003a678569c75341c59dae8244d8ba360d2b315f3ad201816a6ec1eac",
    "6c4ffed083c9b70538df96cfc1a622e4eb5adaca0d63835aeb9b51bdd98f94ca",
  ]);
  for (let i = 0; i < 4; i++) assert.ok(await inclusionVerifies(i, 4, LEAF_HASHES[i], await proof(i), unhex(ROOT)));
});

test("an inclusion proof fails for another leaf, index, size, root, or a proof cut or padded", async () => {
  const root = unhex(ROOT);
  const path = await proof(1);
  assert.ok(!(await inclusionVerifies(1, 4, LEAF_HASHES[2], path, root)));
  assert.ok(!(await inclusionVerifies(0, 4, LEAF_HASHES[1], path, root)));
  assert.ok(!(await inclusionVerifies(1, 5, LEAF_HASHES[1], path, root)));
  assert.ok(!(await inclusionVerifies(4, 4, LEAF_HASHES[1], path, root)));
  assert.ok(!(await inclusionVerifies(1, 4, LEAF_HASHES[1], path, LEAF_HASHES[0])));
  assert.ok(!(await inclusionVerifies(1, 4, LEAF_HASHES[1], path.slice(0, 1), root)));
  assert.ok(!(await inclusionVerifies(1, 4, LEAF_HASHES[1], [...path, LEAF_HASHES[0]], root)));
  assert.ok(!(await inclusionVerifies(1, 4, LEAF_HASHES[1], [path[0], path[1].slice(1)], root)));
});

test("the checkpoint opens with the log's verifier key: size 4 and the vector's root", async () => {
  const key = await parseVerifierKey(KEY);
  assert.equal(key.origin, "example.lienthong/log");
  const { size, root } = await openCheckpoint(NOTE, key);
  assert.equal(size, 4);
  assert.equal(hex(root), ROOT);
});

test("a changed checkpoint, or one signed by another key, does not open", async () => {
  const key = await parseVerifierKey(KEY);
  await refusedWith(openCheckpoint(NOTE.replace("\n4\n", "\n5\n"), key), "checkpoint_signature");
  await refusedWith(openCheckpoint(NOTE.replace("CK9J", "CK9K"), key), "checkpoint_signature");
  await refusedWith(openCheckpoint(NOTE.split("\n\n")[0] + "\n\n", key), "checkpoint_unsigned");
  await refusedWith(openCheckpoint(NOTE.replace("\n\n", "\n"), key), "checkpoint_form");
  // the key hash covers the origin: the same key under another name is refused
  await refusedWith(parseVerifierKey(KEY.replace("example.lienthong/log", "other.example/log")), "bad_key");
});

test("a verifier key that is not one is refused", async () => {
  for (const bad of ["", "example.lienthong/log", KEY.replace("+d0d60060+", "+d0d60061+"), KEY.slice(0, -4), KEY + "+x"]) {
    await refusedWith(parseVerifierKey(bad), "bad_key");
  }
});

test("a bundle of the genesis and a receipt: proofs and checkpoint pass, the receipt's key is not in it", async () => {
  const verdict = await checkBundle(await bundle([leaf(0), leaf(1)]), KEY);
  assert.equal(verdict.size, 4);
  assert.equal(verdict.mine, 1);
  assert.deepEqual(verdict.problems.map((p) => [p.code, p.details.index]), [["unknown_key", 1]]);
  assert.equal(verdict.ok, false);
});

test("a bundle of the genesis alone holds no entry of its dossier", async () => {
  const verdict = await checkBundle(await bundle([leaf(0)]), KEY);
  assert.deepEqual(verdict.problems.map((p) => p.code), ["no_dossier"]);
});

test("a changed entry is caught by its proof and its signature; entries out of order by their index", async () => {
  const changed = leaf(0);
  changed.recorded_at += 1; // the ledger's time of recording, inside the leaf only
  let verdict = await checkBundle(await bundle([changed, leaf(1)]), KEY);
  assert.deepEqual(verdict.problems.map((p) => [p.code, p.details.index]), [["proof", 0], ["unknown_key", 1]]);
  const forged = leaf(0);
  forged.signature = forged.signature.slice();
  forged.signature[0] ^= 1;
  verdict = await checkBundle(await bundle([forged]), KEY);
  assert.deepEqual(verdict.problems.map((p) => p.code), ["proof", "signature"]); // the signature is in the leaf
  verdict = await checkBundle(await bundle([leaf(1), leaf(0)]), KEY);
  assert.ok(verdict.problems.some((p) => p.code === "index" && p.details.index === 0));
});

test("what is not a bundle is refused before anything is checked", async () => {
  await refusedWith(checkBundle(unhex("c0"), KEY), "not_canonical");
  await refusedWith(checkBundle(encode({ format: "other", v: 1 }), KEY), "not_bundle");
  await refusedWith(checkBundle(await bundle([leaf(0)], { v: 2 }), KEY), "not_bundle");
  await refusedWith(checkBundle(await bundle([leaf(0)]), KEY.replace("AQD1", "AQD2")), "bad_key");
});

test("problems are said in the page's words, with their details", () => {
  const problem = new BundleProblem("proof", { index: 7 });
  assert.equal(say(problem, { proof: "Mục ở vị trí {index}: sai." }), "Mục ở vị trí 7: sai.");
  assert.match(say(problem, {}), /^proof /); // a code without words still says something
});

test("a real bundle whose key is revoked after the entries it signed verifies", async () => {
  const { sound } = bundles;
  const verdict = await checkBundle(unhex(sound.bundle), bundles.log_key);
  assert.deepEqual(verdict.problems, []);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.dossier, sound.dossier);
  assert.ok(verdict.mine >= 1);
});

test("an entry signed with a key whose revocation comes earlier in the log is refused, as the server's replay refuses it", async () => {
  const { revoked } = bundles;
  const verdict = await checkBundle(unhex(revoked.bundle), bundles.log_key);
  assert.equal(verdict.ok, false);
  assert.deepEqual(
    verdict.problems.map((p) => [p.code, p.details]),
    [["key_revoked", { index: revoked.entry, key: revoked.key, revoked: revoked.revocation }]],
  );
  const words = { key_revoked: "Mục ở vị trí {index}: khóa ký {key} đã bị thu hồi (vị trí {revoked})." };
  assert.equal(
    say(verdict.problems[0], words),
    `Mục ở vị trí ${revoked.entry}: khóa ký ${revoked.key} đã bị thu hồi (vị trí ${revoked.revocation}).`,
  );
});

test("a revocation counts from its own position in the log, and only once its signature holds", async () => {
  const { revoked } = bundles;
  const decoded = decode(unhex(revoked.bundle));
  // the revocation entry is what refuses the late entry: without it, nothing else does
  const without = { ...decoded, entries: decoded.entries.filter((e) => e.index !== revoked.revocation) };
  let verdict = await checkBundle(encode(without), bundles.log_key);
  assert.deepEqual(verdict.problems, []);
  // a revocation whose signature does not hold revokes nothing
  const forged = decoded.entries.map((e) => {
    if (e.index !== revoked.revocation) return e;
    const signature = e.signature.slice();
    signature[0] ^= 1;
    return { ...e, signature };
  });
  verdict = await checkBundle(encode({ ...decoded, entries: forged }), bundles.log_key);
  const codes = verdict.problems.map((p) => [p.code, p.details.index]);
  assert.ok(codes.some(([code, index]) => code === "signature" && index === revoked.revocation));
  assert.ok(!codes.some(([code]) => code === "key_revoked"));
});
