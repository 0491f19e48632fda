// The officer's signing key and signatures, in the browser.
//
// The key is a WebCrypto Ed25519 key made here, not extractable, kept in IndexedDB: the server
// never sees it. To sign, the page asks the server for the canonical bytes of what the officer
// sees, decodes them, and signs only if they say exactly that (kind, dossier, office, officer,
// key and every field of the body); otherwise it refuses and says what differs.
//
// An officer whose key in force carries an official-duty certificate (the server says so:
// GET /can-bo/khoa-ky) signs instead with the key on a token, through the signing agent on this
// computer (`lienthong agent`, at http://127.0.0.1:8787 unless this browser was set to another
// port): after the same check, the bytes go to the agent, which shows them to the officer and
// signs only when the officer agrees there.
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
const OFFICER_PREPARE = "/can-bo/ky/chuan-bi";
const lang = () => (document.documentElement.lang === "en" ? "en" : "vi");

// The signing agent: its address (this browser's setting, else the default) and what the pages
// say when signing through it fails, in the page's language; nothing is signed then.
const AGENT_SETTING = "lienthong-agent";
export const AGENT_DEFAULT = "http://127.0.0.1:8787";
const AGENT_WORDS = {
  vi: {
    down: "Chưa kết nối được phần mềm ký trên máy này ({address}), hoặc phần mềm chưa cho phép trang này: chưa ký gì.",
    other: "Phần mềm ký trên máy này dùng khóa {fingerprint}, không phải chứng thư số đã được phê duyệt của bạn: chưa ký gì.",
    declined: "Bạn đã không đồng ý ký tại phần mềm ký: chưa ký gì.",
    refused: "Phần mềm ký từ chối yêu cầu: chưa ký gì.",
  },
  en: {
    down: "The signing agent on this computer ({address}) cannot be reached, or does not allow this page: nothing was signed.",
    other: "The signing agent on this computer holds key {fingerprint}, not your approved certificate: nothing was signed.",
    declined: "You did not agree to sign at the signing agent: nothing was signed.",
    refused: "The signing agent refused the request: nothing was signed.",
  },
};

// Thrown instead of signing when the signing agent cannot be used: `reason` is down, other,
// declined or refused; the message is in the page's language (an agent's detail, in English, kept
// in `detail`).
export class AgentRefusal extends Error {
  constructor(reason, values = {}, detail = "") {
    let text = AGENT_WORDS[lang()][reason];
    for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
    super(text);
    this.reason = reason;
    this.detail = detail;
  }
}

export function agentAddressOf(text) {
  // an address of this computer, http://127.0.0.1:<port>, as its origin; null for anything else
  let url;
  try {
    url = new URL(String(text).trim());
  } catch {
    return null;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  return url.protocol === "http:" && url.hostname === "127.0.0.1" && bare ? url.origin : null;
}

export function agentAddress() {
  return agentAddressOf(localStorage.getItem(AGENT_SETTING) || "") || AGENT_DEFAULT;
}

export function setAgentAddress(text) {
  const address = agentAddressOf(text);
  if (address) localStorage.setItem(AGENT_SETTING, address);
  return address;
}

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
  } else if (error instanceof AgentRefusal && error.reason === "refused" && error.detail) {
    // the agent's own reason, in English, after the page's words
    const detail = document.createElement("span");
    detail.lang = "en";
    detail.textContent = error.detail;
    element.append(`${error.message} `, detail);
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

export async function certificateKeys() {
  // the officer's keys in force that carry an official-duty certificate, as the server says
  const response = await fetch("/can-bo/khoa-ky", {
    credentials: "same-origin",
    headers: { "Accept-Language": document.documentElement.lang },
  });
  const answer = await response.json();
  if (!response.ok) throw new ServerRefusal(answer, response.status);
  return answer.certificate_keys;
}

async function agentCall(path, init = {}) {
  const address = agentAddress();
  let response;
  try {
    response = await fetch(`${address}${path}`, { ...init, mode: "cors", credentials: "omit", cache: "no-store" });
  } catch {
    // not running, or refusing this page's origin (its refusal carries no CORS header to read)
    throw new AgentRefusal("down", { address });
  }
  const answer = await response.json();
  if (!response.ok) {
    const reason = answer.refused === "declined" ? "declined" : "refused";
    throw new AgentRefusal(reason, {}, answer.detail || answer.refused || String(response.status));
  }
  return answer;
}

export async function agentInfo() {
  // the agent's key: {key, public_key, algorithm, chain}
  return agentCall("/info");
}

async function agentSign(bytes) {
  const answer = await agentCall("/sign", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ statement: base64(bytes) }),
  });
  return unbase64(answer.signature);
}

async function signerFor(officer, prepare) {
  // the certificate key through the agent when the server says the officer has one in force
  // (the officer's own pages: a registrar's approval signs with the browser's registrar key);
  // else the key made in this browser
  if (prepare === OFFICER_PREPARE) {
    const certified = await certificateKeys();
    if (certified.length) {
      const info = await agentInfo();
      if (!certified.includes(info.key)) throw new AgentRefusal("other", { fingerprint: fingerprint(info.key) });
      return { keyId: info.key, sign: agentSign };
    }
  }
  const record = await loadKey(officer);
  if (!record) throw new NoKey();
  const sign = async (bytes) => new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, record.privateKey, new Uint8Array([...SIGNING_PREFIX, ...bytes])),
  );
  return { keyId: record.keyId, sign };
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

export async function signAndSend(intent, officer, office, prepare = OFFICER_PREPARE) {
  // `prepare`: where the server builds the bytes (a registrar's approval has a route of its own)
  const signer = await signerFor(officer, prepare);
  intent = { ...intent, key: signer.keyId };
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
  const signature = await signer.sign(bytes); // only what the page shows reaches a key
  return send("/can-bo/ky/gui", { statement: base64(bytes), signature: base64(signature) });
}
