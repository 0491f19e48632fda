// The enrolment page: make this browser's signing key, show its fingerprint, and ask again while
// it waits for a registrar's approval.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { fingerprint, keyStatus, loadKey, makeKey, showRefusal } from "/static/officer.js";
const panel = document.getElementById("key-panel");
const state = document.getElementById("key-state");
const button = document.getElementById("make-key");
const RECHECK_MS = 15000;  // while the key waits for approval, ask again this often
function recheck(record) {
  // a lost connection is not an answer: keep asking
  setTimeout(() => show(record).catch(() => recheck(record)), RECHECK_MS);
}
async function show(record) {
  document.getElementById("fingerprint").textContent = fingerprint(record.keyId);
  const status = await keyStatus(record);
  const text = status === "approved" ? panel.dataset.approved : panel.dataset.pending;
  state.textContent = text.replace("{fingerprint}", fingerprint(record.keyId));
  if (status !== "approved") recheck(record);
}
const record = await loadKey(panel.dataset.officer);
if (record) await show(record);
else {
  state.textContent = panel.dataset.none;
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await show(await makeKey(panel.dataset.officer)); button.hidden = true; }
    catch (error) { showRefusal(state, error, document.body.dataset); button.disabled = false; }
  });
}
