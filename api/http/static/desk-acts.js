// What each form of the acts page (api/http/web/acts.py) means to sign: the intent built from the
// fields the officer filled in, refused in words before anything is sent when a field the
// statement needs is empty or a date is not one. No DOM and no requests here (api/http/static/
// acts.js wires the page), so node's test runner checks it (tests/js/desk-acts.test.mjs).

// A field the statement needs is empty: `field` is the form field's name.
export class Missing extends Error {
  constructor(field) {
    super(`missing: ${field}`);
    this.field = field;
  }
}

// A date and time that is not one (as a datetime-local field writes it).
export class BadTime extends Error {
  constructor(value) {
    super(`not a date and time: ${value}`);
    this.value = value;
  }
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const VIETNAM_OFFSET_HOURS = 7; // Asia/Ho_Chi_Minh: UTC+7 all year, no summer time

// "2025-09-20T17:00", read in Vietnam's time, as the ledger's instant: microseconds since the epoch.
export function instantFromLocal(text) {
  const found = LOCAL.exec(text || "");
  if (!found) throw new BadTime(text);
  const [year, month, day, hour, minute, second] = found.slice(1).map((part) => Number(part || 0));
  const ms = Date.UTC(year, month - 1, day, hour - VIETNAM_OFFSET_HOURS, minute, second);
  const local = new Date(ms + VIETNAM_OFFSET_HOURS * 3_600_000);
  const same =
    local.getUTCFullYear() === year && local.getUTCMonth() === month - 1 && local.getUTCDate() === day &&
    local.getUTCHours() === hour && local.getUTCMinutes() === minute && local.getUTCSeconds() === second;
  if (!same) throw new BadTime(text); // 31/02, 25:00 … which Date.UTC would roll over
  return ms * 1000;
}

const clean = (text) => (text || "").trim().normalize("NFC");

// The intent of act `kind` on dossier `code` from the form's `values` (field name -> text;
// `documents` for a supplement received, as uploaded). Fields are checked in the form's order.
export function intentFor(kind, code, values) {
  const need = (name) => {
    const value = clean(values[name]);
    if (!value) throw new Missing(name);
    return value;
  };
  let body;
  switch (kind) {
    case "dossier.supplement_requested": {
      const reason = need("reason");
      const missing = (values.missing || "").split(/\r?\n/).map(clean).filter(Boolean);
      body = { reason, missing };
      break;
    }
    case "dossier.supplement_received":
      body = { documents: values.documents || [] };
      if (clean(values.note)) body.note = clean(values.note);
      break;
    case "dossier.delay_notified":
    case "dossier.extension_requested": {
      const appointed = instantFromLocal(need("appointed"));
      body = { appointed, reason: need("reason") };
      break;
    }
    case "dossier.decided":
      body = { outcome: need("outcome"), reference: need("reference"), documents: [] };
      break;
    case "dossier.result_returned":
      body = { channel: need("channel") };
      break;
    case "dossier.refused":
    case "dossier.stopped":
    case "dossier.withdrawn":
      body = { reason: need("reason") };
      break;
    default:
      throw new Error(`not an act of this page: ${kind}`);
  }
  return { kind, subject: code, body };
}
