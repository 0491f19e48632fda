// The dispatch form: hand a dossier over, signed in this browser (api/http/static/officer.js), to
// the office the officer chose — none is chosen for them, and nothing is signed until one is; the
// desk then says, from the ledger, "Đã giao … cho …".
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { showRefusal, signAndSend } from "/static/officer.js";
const form = document.getElementById("dispatch");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const outcome = form.querySelector(".outcome");
  const to = form.elements.to;
  if (!to.value) {
    outcome.setAttribute("role", "alert");
    outcome.classList.add("problem");
    outcome.textContent = form.dataset.needed;
    to.setAttribute("aria-invalid", "true");
    to.focus();
    return;
  }
  to.removeAttribute("aria-invalid");
  const documents = [...form.querySelectorAll("input[name=doc]:checked")].map(
    (box) => ({ name: box.dataset.name, sha256: { bin: box.dataset.sha256 } }));
  const intent = {
    kind: "handover.dispatched",
    subject: form.dataset.code,
    body: { to: to.value, purpose: form.elements.purpose.value, documents },
  };
  const button = form.querySelector("button[type=submit]");
  outcome.setAttribute("role", "status");
  outcome.classList.remove("problem");
  outcome.textContent = form.dataset.signing;
  button.disabled = true; // one statement per press
  try {
    await signAndSend(intent, form.dataset.officer, form.dataset.office);
    location.assign(`/can-bo?da-giao=${encodeURIComponent(form.dataset.code)}`);
  } catch (error) {
    button.disabled = false;
    showRefusal(outcome, error, document.body.dataset);
  }
});
