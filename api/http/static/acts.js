// The acts on a dossier the office holds (/can-bo/xu-ly/<code>): each form signed in this browser
// (officer.js: the server prepares the bytes, the page checks they say what it shows, then signs),
// then the page again, saying from the ledger what was recorded. Every refusal — a field left
// empty, a date that is not one, the server's — is said in the form's own box, in the page's
// language. A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { ServerRefusal, csrfHeader, sha256, showRefusal, signAndSend } from "/static/officer.js";
import { BadTime, Missing, intentFor } from "/static/desk-acts.js";

const section = document.getElementById("acts");
const { code, officer, office } = section.dataset;
const FIELDS = ["reason", "missing", "appointed", "outcome", "reference", "channel", "note"];

function values(form) {
  const out = {};
  for (const name of FIELDS) if (form.elements[name]) out[name] = form.elements[name].value;
  return out;
}

function labelOf(form, name) {
  // the field's label as the page shows it, without its hint
  const field = form.elements[name];
  const label = field && form.querySelector(`label[for="${field.id}"]`);
  return label ? label.firstChild.textContent.trim() : name;
}

async function upload(form) {
  // the supplied document, if any: uploaded first, then listed in the statement
  const file = form.elements["doc-file"].files[0];
  const name = form.elements["doc-name"].value.trim().normalize("NFC");
  if (!file && !name) return [];
  if (!name) throw new Missing("doc-name");
  if (!file) throw new Missing("doc-file");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const digest = await sha256(bytes);
  const sent = await fetch(`/can-bo/tep/${code}/${digest}`, {
    method: "PUT",
    body: bytes,
    credentials: "same-origin",
    headers: { "Accept-Language": document.documentElement.lang, ...csrfHeader() },
  });
  if (!sent.ok) throw new ServerRefusal(await sent.json(), sent.status);
  return [{ name, sha256: { bin: digest } }];
}

function show(outcome, form, error) {
  const words = section.dataset;
  outcome.setAttribute("role", "alert");
  outcome.classList.add("problem");
  outcome.replaceChildren();
  if (error instanceof Missing) {
    outcome.textContent = words.needed.replace("{field}", labelOf(form, error.field));
  } else if (error instanceof BadTime) {
    outcome.textContent = words.badTime.replace("{value}", error.value);
  } else if (error instanceof ServerRefusal && error.title) {
    // the title is in the page's language; the detail names what was wrong, in English
    outcome.append(words.serverRefused.replace("{title}", error.title));
    if (error.message && error.message !== error.title) {
      const detail = document.createElement("span");
      detail.lang = "en";
      detail.textContent = error.message;
      outcome.append(` ${words.detail} `, detail);
    }
  } else {
    // no key in this browser (with the link to make one), a request that never arrived, …
    showRefusal(outcome, error, document.body.dataset);
  }
}

for (const form of section.querySelectorAll("form.act")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector(".outcome");
    const button = form.querySelector("button[type=submit]");
    const kind = form.dataset.kind;
    try {
      let intent = intentFor(kind, code, values(form)); // nothing is sent with a field missing
      outcome.setAttribute("role", "status");
      outcome.classList.remove("problem");
      button.disabled = true; // one statement per press
      if (kind === "dossier.supplement_received") {
        outcome.textContent = section.dataset.uploading;
        intent = intentFor(kind, code, { ...values(form), documents: await upload(form) });
      }
      outcome.textContent = section.dataset.signing;
      const receipt = await signAndSend(intent, officer, office);
      location.assign(`/can-bo/xu-ly/${code}?da-ky=${receipt.seq}`);
    } catch (error) {
      button.disabled = false;
      show(outcome, form, error);
    }
  });
}
