// The intents the acts page (api/http/static/desk-acts.js) builds from what the officer filled
// in: each act's body as the ledger's schema reads it, the new appointed date read in Vietnam's
// time, and a field left empty or a date that is not one refused by name before anything is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BadTime, Missing, instantFromLocal, intentFor } from "../../api/http/static/desk-acts.js";

const CODE = "000.00.01.H59-251006-0001";

test("a date and time is read in Vietnam's time (UTC+7) as microseconds", () => {
  assert.equal(instantFromLocal("2025-10-20T17:00"), Date.UTC(2025, 9, 20, 10, 0) * 1000);
  assert.equal(instantFromLocal("2026-01-01T00:30:15"), Date.UTC(2025, 11, 31, 17, 30, 15) * 1000);
});

test("what is not a date and time is refused, not rolled over", () => {
  for (const text of ["", "20/10/2025 17:00", "2025-02-30T09:00", "2025-10-20T24:00", "2025-10-20"]) {
    assert.throws(() => instantFromLocal(text), (error) => error instanceof BadTime && error.value === text, text);
  }
});

test("each act's body has the fields its statement takes, trimmed and NFC", () => {
  const decomposed = "Thie\u0302\u0301u gia\u0302\u0301y to\u031b\u0300"; // "Thiếu giấy tờ", decomposed
  assert.deepEqual(intentFor("dossier.refused", CODE, { reason: `  ${decomposed} ` }), {
    kind: "dossier.refused",
    subject: CODE,
    body: { reason: "Thiếu giấy tờ" },
  });
  assert.deepEqual(intentFor("dossier.stopped", CODE, { reason: "Người nộp đề nghị" }).body, {
    reason: "Người nộp đề nghị",
  });
  assert.deepEqual(
    intentFor("dossier.extension_requested", CODE, { appointed: "2025-10-20T17:00", reason: "Cần xác minh" }).body,
    { appointed: Date.UTC(2025, 9, 20, 10, 0) * 1000, reason: "Cần xác minh" },
  );
  // the 2018 apology and new appointment (a dossier received before 15/9/2025): the same body
  assert.deepEqual(
    intentFor("dossier.delay_notified", CODE, { appointed: "2025-09-01T08:00", reason: " Cần xác minh " }),
    {
      kind: "dossier.delay_notified",
      subject: CODE,
      body: { appointed: Date.UTC(2025, 8, 1, 1, 0) * 1000, reason: "Cần xác minh" },
    },
  );
  assert.deepEqual(intentFor("dossier.withdrawn", CODE, { reason: `  ${decomposed} ` }), {
    kind: "dossier.withdrawn",
    subject: CODE,
    body: { reason: "Thiếu giấy tờ" },
  });
  assert.deepEqual(
    intentFor("dossier.supplement_requested", CODE, { reason: "Thiếu", missing: "Giấy khai sinh\r\n\n  Sổ hộ khẩu  \n" }).body,
    { reason: "Thiếu", missing: ["Giấy khai sinh", "Sổ hộ khẩu"] },
  );
  assert.deepEqual(intentFor("dossier.supplement_received", CODE, { note: " ", documents: [] }).body, { documents: [] });
  const documents = [{ name: "Giấy khai sinh", sha256: { bin: "00".repeat(32) } }];
  assert.deepEqual(intentFor("dossier.supplement_received", CODE, { note: "Đủ", documents }).body, {
    documents,
    note: "Đủ",
  });
  assert.deepEqual(intentFor("dossier.decided", CODE, { outcome: "approved", reference: "12/QĐ-UBND" }).body, {
    outcome: "approved",
    reference: "12/QĐ-UBND",
    documents: [],
  });
  assert.deepEqual(intentFor("dossier.result_returned", CODE, { channel: "postal" }).body, { channel: "postal" });
});

test("an empty field the statement needs is named, in the form's order", () => {
  const missing = (kind, values) => {
    try {
      intentFor(kind, CODE, values);
    } catch (error) {
      assert.ok(error instanceof Missing, String(error));
      return error.field;
    }
    return null;
  };
  assert.equal(missing("dossier.refused", { reason: "   " }), "reason");
  assert.equal(missing("dossier.stopped", {}), "reason");
  assert.equal(missing("dossier.extension_requested", { appointed: "", reason: "" }), "appointed");
  assert.equal(missing("dossier.extension_requested", { appointed: "2025-10-20T17:00", reason: "" }), "reason");
  assert.equal(missing("dossier.delay_notified", { reason: "Cần xác minh" }), "appointed");
  assert.equal(missing("dossier.delay_notified", { appointed: "2025-09-01T08:00", reason: " " }), "reason");
  assert.equal(missing("dossier.withdrawn", { reason: "" }), "reason");
  assert.equal(missing("dossier.supplement_requested", { missing: "Giấy khai sinh" }), "reason");
  assert.equal(missing("dossier.decided", { outcome: "approved", reference: "" }), "reference");
  assert.equal(missing("dossier.supplement_received", {}), null); // nothing it needs
});

test("the 2018 apology's new date is refused by name when it is not a date", () => {
  assert.throws(
    () => intentFor("dossier.delay_notified", CODE, { appointed: "2025-02-30T09:00", reason: "Cần xác minh" }),
    (error) => error instanceof BadTime && error.value === "2025-02-30T09:00",
  );
});

test("a kind that is not one of the page's acts is refused", () => {
  assert.throws(() => intentFor("handover.dispatched", CODE, {}), /not an act of this page/);
});
