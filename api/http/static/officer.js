// The officer's signing key and signatures, in the browser.
//
// The key is a WebCrypto Ed25519 key made here, not extractable, kept in IndexedDB: the server
// never sees it. To sign, the page asks the server for the canonical bytes of what the officer
// sees, decodes them, and signs only if they say exactly that (kind, dossier, office, officer,
// key and every field of the body); otherwise it refuses and says what differs.
import { SIGNING_PREFIX, decode, encode } from "/static/canonical.js";
import { keyId } from "/static/verify.js";

const DB = "lienthong";
const STORE = "keys";

// Thrown instead of signing: the prepared bytes say something the page does not show.
export class SigningRefused extends Error {
  constructor(differences) {
    super(`REFUSED: ${differences.join("; ")}`);
    this.differences = differences;
  }
}

// Thrown when the server refuses a request (problem+json): the message is its `detail`, as before;
// the page may also say its `title`, which is in the page's language (the request's
// Accept-Language), and read its stable `code`.
export class ServerRefusal extends Error {
  constructor(answer, status) {
    super(answer.detail || answer.title || String(status));
    this.title = answer.title || "";
    this.code = answer.code || "";
    this.status = status;
  }
}

// What the pages say when this browser holds no key of the officer, in the page's language (its
// <html lang>), with the way to make one: on every page that signs, so no page need carry it.
const NO_KEY = {
  vi: { text: "Máy này chưa có khóa ký của bạn: chưa ký được.", fix: "Tạo khóa ký trên máy này" },
  en: { text: "This computer holds no signing key of yours: nothing was signed.", fix: "Make a signing key on this computer" },
};

// Thrown instead of signing when this browser holds no key of the officer.
export class NoKey extends Error {
  constructor() {
    super(NO_KEY[document.documentElement.lang === "en" ? "en" : "vi"].text);
  }
}
export const KEY_PAGE = "/can-bo/khoa";

export function refusalText(error, words) {
  // the page's own words (the body's data-refused, data-offline): a refusal to sign with what
  // differs; a request that never reached the server (fetch's TypeError); no key here; else the
  // server's answer
  if (error instanceof SigningRefused) return `${words.refused} ${error.differences.join("; ")}`;
  if (error instanceof TypeError) return words.offline;
  return error.message;
}

export function showRefusal(element, error, words) {
  // the refusal in the page's error box (role=alert, drawn as .problem): with the link to make
  // a key when there is none; a server's refusal by its title, in the page's language, and its
  // detail, in English
  element.setAttribute("role", "alert");
  element.classList.add("problem");
  element.replaceChildren();
  if (error instanceof NoKey) {
    const fix = document.createElement("a");
    fix.href = KEY_PAGE;
    fix.textContent = NO_KEY[document.documentElement.lang === "en" ? "en" : "vi"].fix;
    element.append(`${error.message} `, fix);
  } else if (error instanceof ServerRefusal && error.title && error.message !== error.title) {
    const detail = document.createElement("span");
    detail.lang = "en";
    detail.textContent = error.message;
    element.append(`${error.title}: `, detail);
  } else {
    element.textContent = refusalText(error, words);
  }
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const base64 = (bytes) => btoa(String.fromCharCode(...bytes));

function database() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "officer" });
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function stored(mode, act) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const request = act(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function loadKey(officer) {
  return (await stored("readonly", (store) => store.get(officer))) || null;
}

export async function allKeys() {
  // every officer's key this browser holds (a registrar's page looks for its registrar key)
  return stored("readonly", (store) => store.getAll());
}

export async function sha256(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

export function fingerprint(id) {
  return id.match(/.{4}/g).join(" ");
}

export function csrfHeader() {
  // the page's proof that a request comes from this site's own pages (api/http/web/csrf.py)
  return { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content || "" };
}

async function send(path, payload) {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Accept-Language": document.documentElement.lang,
      ...csrfHeader(),
    },
    body: JSON.stringify(payload),
    credentials: "same-origin",
  });
  const answer = await response.json();
  if (!response.ok) throw new ServerRefusal(answer, response.status);
  return answer;
}

export async function makeKey(officer) {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const record = { officer, keyId: await keyId(publicKey), publicKey: hex(publicKey), privateKey: pair.privateKey };
  await stored("readwrite", (store) => store.put(record));
  await send("/can-bo/khoa", { public_key: record.publicKey });
  return record;
}

export async function keyStatus(record) {
  const response = await fetch(`/can-bo/khoa/${record.keyId}`, { credentials: "same-origin" });
  return (await response.json()).status;
}

function shown(value) {
  // the decoded statement written as the page writes what it shows: bytes as {bin: hex}
  if (value instanceof Uint8Array) return { bin: hex(value) };
  if (Array.isArray(value)) return value.map(shown);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shown(v)]));
  }
  return value;
}

function differences(expected, found, path, out) {
  if (expected !== null && typeof expected === "object") {
    const keys = new Set([...Object.keys(expected), ...Object.keys(found || {})]);
    for (const key of keys) differences(expected[key], (found || {})[key], `${path}.${key}`, out);
  } else if (expected !== found) {
    out.push(`${path}: ${JSON.stringify(expected)} ≠ ${JSON.stringify(found)}`);
  }
  return out;
}

export function mismatch(statement, intent, officer, office) {
  // what the bytes say that the officer did not see; empty when they agree
  const expected = { v: 1, kind: intent.kind, subject: intent.subject, office, officer, key: intent.key, body: intent.body };
  const found = shown(statement);
  const out = [];
  for (const key of Object.keys(expected)) differences(expected[key], found[key], `statement.${key}`, out);
  for (const key of Object.keys(found)) {
    if (!["v", "kind", "subject", "seq", "prev", "office", "officer", "key", "at", "body", "seen"].includes(key)) {
      out.push(`statement.${key}: not expected`);
    }
  }
  return out;
}

export async function signAndSend(intent, officer, office, prepare = "/can-bo/ky/chuan-bi") {
  // `prepare`: where the server builds the bytes (a registrar's approval has a route of its own)
  const record = await loadKey(officer);
  if (!record) throw new NoKey();
  intent = { ...intent, key: record.keyId };
  const prepared = await send(prepare, intent);
  const bytes = unbase64(prepared.statement);
  const statement = decode(bytes);
  if (intent.applicant) {
    // the commitment must be SHA-256(salt ‖ canonical details): the details this page sent
    const salt = Uint8Array.from(prepared.salt.match(/../g) || [], (h) => parseInt(h, 16));
    const details = Object.fromEntries(Object.entries(intent.applicant).filter(([, v]) => v));
    const digest = await crypto.subtle.digest("SHA-256", new Uint8Array([...salt, ...encode(details)]));
    intent = { ...intent, body: { ...intent.body, applicant: { bin: hex(new Uint8Array(digest)) } } };
  }
  const wrong = mismatch(statement, intent, officer, office);
  if (wrong.length) throw new SigningRefused(wrong);
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, record.privateKey, new Uint8Array([...SIGNING_PREFIX, ...bytes])),
  );
  return send("/can-bo/ky/gui", { statement: base64(bytes), signature: base64(signature) });
}
