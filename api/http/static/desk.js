// The officer's desk: acknowledge or refuse each incoming handover, signed in this browser; then
// the state of this browser's key.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { fingerprint, keyStatus, loadKey, refusalText, signAndSend } from "/static/officer.js";
const panel = document.getElementById("key-panel");
const { officer, office } = panel.dataset;
const state = document.getElementById("key-state");
for (const form of document.querySelectorAll("form.handover")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector(".outcome");
    const dispatch = { bin: form.dataset.dispatch };
    let intent;
    if (event.submitter.value === "acknowledge") {
      const documents = [...form.querySelectorAll("input[name=doc]:checked")].map(
        (box) => ({ name: box.dataset.name, sha256: { bin: box.dataset.sha256 } }));
      intent = { kind: "handover.acknowledged", subject: form.dataset.code, body: { dispatch, documents } };
    } else {
      const reason = form.querySelector("input[name=reason]").value.trim();
      if (!reason) { outcome.setAttribute("role", "alert"); outcome.textContent = panel.dataset.reason; return; }
      intent = { kind: "handover.rejected", subject: form.dataset.code, body: { dispatch, reason } };
    }
    outcome.setAttribute("role", "status");
    outcome.textContent = panel.dataset.signing;
    try {
      await signAndSend(intent, officer, office);
      location.reload();
    } catch (error) {
      outcome.setAttribute("role", "alert");
      outcome.textContent = refusalText(error, document.body.dataset);
    }
  });
}
// the forms work first; then the key's state, which needs the server (and may not reach it)
const record = await loadKey(officer);
if (!record) state.textContent = panel.dataset.none;
else {
  try {
    const status = await keyStatus(record);
    const text = status === "approved" ? panel.dataset.approved : panel.dataset.pending;
    state.textContent = text.replace("{fingerprint}", fingerprint(record.keyId));
  } catch (error) {
    state.textContent = refusalText(error, document.body.dataset);
  }
}
