// The receipt form: the server makes the dossier's code when the form opens (shown before anything
// is signed), the scans are uploaded, the receipt is signed in this browser, and the officer lands
// on the receipt to print (/can-bo/bien-nhan/<code>).
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
//
// Pressing twice records once: the button is disabled while it works. If the answer to a receipt
// that was recorded never came back (a bad line), pressing again finds the dossier recorded
// (the server refuses a second receipt of the code as dossier-exists) and goes to its receipt,
// whose secret the server keeps: nothing is recorded twice and the secret is not lost.
import { ServerRefusal, csrfHeader, sha256, showRefusal, signAndSend } from "/static/officer.js";

const form = document.getElementById("receive");
const procedure = form.elements.procedure;
const button = form.querySelector("button[type=submit]");
const outcome = form.querySelector(".outcome");
const shownCode = document.getElementById("code");
const readOnly = button.disabled; // a read-only server: nothing is recorded, no code is made
let code = "";

const showAppointed = () => {
  document.getElementById("appointed").textContent = procedure.selectedOptions[0]?.dataset.appointedText || "";
};
procedure.addEventListener("change", showAppointed);
showAppointed();

const receiptOf = (made, fresh) => `/can-bo/bien-nhan/${made}${fresh ? "?moi=1" : ""}`;

async function makeCode() {
  // a new code of this office today, reserved for this officer (POST: each call uses a sequence)
  const response = await fetch("/can-bo/ma-ho-so", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Accept-Language": document.documentElement.lang, ...csrfHeader() },
  });
  const answer = await response.json();
  if (!response.ok) throw new ServerRefusal(answer, response.status);
  code = answer.code;
  shownCode.textContent = code;
  return code;
}

async function start() {
  if (readOnly) return;
  try {
    await makeCode();
  } catch (error) {
    shownCode.textContent = "—";
    showRefusal(outcome, error, document.body.dataset);
    outcome.append(" ", form.dataset.failed);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (button.disabled) return;
  button.disabled = true;
  const chosen = procedure.selectedOptions[0];
  try {
    if (!code) await makeCode(); // the first try, when the form opened, failed: once more
    outcome.setAttribute("role", "status");
    outcome.textContent = form.dataset.uploading;
    const documents = [];
    for (const set of form.querySelectorAll("fieldset.document")) {
      const file = set.querySelector("input[type=file]").files[0];
      const name = set.querySelector("input[name=doc-name]").value.trim().normalize("NFC");
      if (!file || !name) continue;
      const bytes = new Uint8Array(await file.arrayBuffer());
      const digest = await sha256(bytes);
      const sent = await fetch(`/can-bo/tep/${code}/${digest}`, {
        method: "PUT",
        body: bytes,
        credentials: "same-origin",
        headers: { "Accept-Language": document.documentElement.lang, ...csrfHeader() },
      });
      if (!sent.ok) throw new ServerRefusal(await sent.json(), sent.status);
      documents.push({ name, sha256: { bin: digest } });
    }
    const applicant = Object.fromEntries(["full_name", "id_number", "phone"].map(
      (field) => [field, form.elements[field].value.trim().normalize("NFC")]));
    const intent = {
      kind: "dossier.received",
      subject: code,
      body: {
        procedure: chosen.value,
        version: Number(chosen.dataset.version),
        channel: form.elements.channel.value,
        documents,
        appointed: Number(chosen.dataset.appointed),
      },
      applicant,
    };
    outcome.textContent = form.dataset.signing;
    await signAndSend(intent, form.dataset.officer, form.dataset.office);
    window.location.assign(receiptOf(code, true));
  } catch (error) {
    if (error instanceof ServerRefusal && error.code === "dossier-exists") {
      // recorded by an earlier press whose answer was lost: its receipt, with its secret
      window.location.assign(receiptOf(code, true));
      return;
    }
    showRefusal(outcome, error, document.body.dataset);
    if (error instanceof ServerRefusal && error.code.startsWith("dossier-code-")) {
      // the day (or the office's identifier) changed since the code was made: make a new one
      try {
        await makeCode();
        outcome.append(" ", form.dataset.renewed.replace("{code}", code));
      } catch (again) {
        showRefusal(outcome, again, document.body.dataset);
      }
    }
    button.disabled = false;
  }
});

start();
