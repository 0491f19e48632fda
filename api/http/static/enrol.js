// The enrolment page: make this browser's signing key, show its fingerprint, and ask again while
// it waits for a registrar's approval; set where the signing agent of this computer listens, and
// say whether it holds the officer's certificate key.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import {
  agentAddress, agentInfo, certificateKeys, fingerprint, keyStatus, loadKey, makeKey, setAgentAddress, showRefusal,
} from "/static/officer.js";
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
// the signing agent: its address in this browser, and what it holds
const agentPanel = document.getElementById("agent-panel");
const agentForm = document.getElementById("agent-form");
const agentState = document.getElementById("agent-state");
const addressBox = document.getElementById("agent-address");
addressBox.value = agentAddress();
async function showAgent() {
  const address = agentAddress();
  const certified = await certificateKeys();
  if (!certified.length) return;
  try {
    const info = await agentInfo();
    const text = certified.includes(info.key) ? agentPanel.dataset.ready : agentPanel.dataset.other;
    agentState.textContent = text.replace("{address}", address).replace("{fingerprint}", fingerprint(info.key));
  } catch {
    agentState.textContent = agentPanel.dataset.down.replace("{address}", address);
  }
}
agentForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const address = setAgentAddress(addressBox.value);
  if (!address) {
    agentState.textContent = agentPanel.dataset.bad;
    return;
  }
  addressBox.value = address;
  agentState.textContent = agentPanel.dataset.saved.replace("{address}", address);
  try { await showAgent(); } catch (error) { showRefusal(agentState, error, document.body.dataset); }
});
showAgent().catch((error) => showRefusal(agentState, error, document.body.dataset));
// the browser's key last: its state waits on the server
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
