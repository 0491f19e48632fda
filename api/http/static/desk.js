// The officer's desk: acknowledge each incoming handover with the documents the officer ticked
// (none is ticked for them: they tick what is actually there), or refuse it with a reason, signed
// in this browser; the desk then says, from the ledger, what was signed. Then the state of this
// browser's key.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import {
  KEY_PAGE, agentAddress, agentInfo, certificateKeys, fingerprint, keyStatus, loadKey, showRefusal, signAndSend,
} from "/static/officer.js";
const panel = document.getElementById("key-panel");
const { officer, office } = panel.dataset;
const state = document.getElementById("key-state");
for (const form of document.querySelectorAll("form.handover")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector(".outcome");
    const dispatch = { bin: form.dataset.dispatch };
    let intent;
    let done;
    if (event.submitter.value === "acknowledge") {
      const documents = [...form.querySelectorAll("input[name=doc]:checked")].map(
        (box) => ({ name: box.dataset.name, sha256: { bin: box.dataset.sha256 } }));
      intent = { kind: "handover.acknowledged", subject: form.dataset.code, body: { dispatch, documents } };
      done = "da-nhan";
    } else {
      const reason = form.querySelector("input[name=reason]").value.trim();
      if (!reason) {
        outcome.setAttribute("role", "alert");
        outcome.classList.add("problem");
        outcome.textContent = panel.dataset.reason;
        return;
      }
      intent = { kind: "handover.rejected", subject: form.dataset.code, body: { dispatch, reason } };
      done = "da-tu-choi";
    }
    const buttons = form.querySelectorAll("button[type=submit]");
    outcome.setAttribute("role", "status");
    outcome.classList.remove("problem");
    outcome.textContent = panel.dataset.signing;
    for (const button of buttons) button.disabled = true; // one statement per press
    try {
      await signAndSend(intent, officer, office);
      location.assign(`/can-bo?${done}=${encodeURIComponent(form.dataset.code)}`);
    } catch (error) {
      for (const button of buttons) button.disabled = false;
      showRefusal(outcome, error, document.body.dataset);
    }
  });
}
// the forms work first; then the key's state, which needs the server (and may not reach it): a
// certificate key in force is used through the signing agent, whose state is said; else this
// browser's key. When the server cannot say which, its refusal is what the panel shows.
async function showKeyState() {
  let certified;
  try {
    certified = await certificateKeys();
  } catch (error) {
    showRefusal(state, error, document.body.dataset);
    return;
  }
  if (certified.length) {
    const address = agentAddress();
    try {
      const info = await agentInfo();
      const text = certified.includes(info.key) ? panel.dataset.agentReady : panel.dataset.agentOther;
      state.textContent = text.replace("{address}", address).replace("{fingerprint}", fingerprint(info.key));
    } catch {
      state.textContent = panel.dataset.agentDown.replace("{address}", address);
    }
    return;
  }
  const record = await loadKey(officer);
  if (!record) {
    const make = document.createElement("a");
    make.href = KEY_PAGE;
    make.textContent = panel.dataset.make;
    state.append(`${panel.dataset.none} `, make);
    return;
  }
  try {
    const status = await keyStatus(record);
    const text = status === "approved" ? panel.dataset.approved : panel.dataset.pending;
    state.textContent = text.replace("{fingerprint}", fingerprint(record.keyId));
  } catch (error) {
    showRefusal(state, error, document.body.dataset);
  }
}
await showKeyState();
