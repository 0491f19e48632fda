// The registrar's approvals (/quan-tri/khoa): find, among the keys this browser holds, one the
// ledger has registered with the role registrar (the server says which, and as which officer and
// office it signs); with it, each waiting request gets its "Phê duyệt" button, which signs the
// key.registered the server prepares — checked first to say exactly what the page shows, as every
// officer's signature is (api/http/static/officer.js). Without one, the page says how to get one.
// The command beside each request can be copied.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { allKeys, fingerprint, showRefusal, signAndSend } from "/static/officer.js";

const panel = document.getElementById("registrar-key");
const state = document.getElementById("registrar-state");
const PREPARE = "/quan-tri/ky/chuan-bi";

for (const button of document.querySelectorAll("button.copy")) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const said = button.nextElementSibling;
    try {
      await navigator.clipboard.writeText(document.getElementById(button.dataset.for).textContent);
      said.setAttribute("role", "status");
      said.classList.remove("problem");
      said.textContent = panel.dataset.copied;
    } catch (error) {
      showRefusal(said, error, document.body.dataset);
    }
  });
}

async function registrarKey() {
  // the first key of this browser the ledger holds as a registrar's in force; null if none
  for (const record of await allKeys()) {
    const response = await fetch(`/quan-tri/khoa/ky/${record.keyId}`, { credentials: "same-origin" });
    if (!response.ok) continue;
    const answer = await response.json();
    if (answer.usable) return { record, officer: answer.officer, office: answer.office, who: answer.who };
  }
  return null;
}

function approve(signer, button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const outcome = button.nextElementSibling;
    const { key, officer, publicKey, effective } = button.dataset;
    const intent = {
      kind: "key.registered",
      subject: key,
      body: { officer, public_key: { bin: publicKey }, role: "officer", effective: Number(effective) },
    };
    outcome.setAttribute("role", "status");
    outcome.classList.remove("problem");
    outcome.textContent = panel.dataset.signing;
    button.disabled = true; // one statement per press
    try {
      await signAndSend(intent, signer.officer, signer.office, PREPARE);
      location.assign(`/quan-tri/khoa?da-duyet=${key}`);
    } catch (error) {
      button.disabled = false;
      showRefusal(outcome, error, document.body.dataset);
    }
  });
}

try {
  const signer = await registrarKey();
  if (signer === null) {
    state.textContent = panel.dataset.none;
    document.getElementById("registrar-none").hidden = false;
  } else {
    state.textContent = panel.dataset.ready
      .replace("{fingerprint}", fingerprint(signer.record.keyId)).replace("{who}", signer.who);
    for (const button of document.querySelectorAll("button.approve")) approve(signer, button);
  }
} catch (error) {
  showRefusal(state, error, document.body.dataset);
}
