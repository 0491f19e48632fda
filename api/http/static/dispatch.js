// The dispatch form: hand a dossier over, signed in this browser (api/http/static/officer.js).
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { refusalText, signAndSend } from "/static/officer.js";
const form = document.getElementById("dispatch");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const outcome = form.querySelector(".outcome");
  const documents = [...form.querySelectorAll("input[name=doc]:checked")].map(
    (box) => ({ name: box.dataset.name, sha256: { bin: box.dataset.sha256 } }));
  const intent = {
    kind: "handover.dispatched",
    subject: form.dataset.code,
    body: { to: form.elements.to.value, purpose: form.elements.purpose.value, documents },
  };
  outcome.setAttribute("role", "status");
  outcome.textContent = form.dataset.signing;
  try {
    await signAndSend(intent, form.dataset.officer, form.dataset.office);
    location.assign("/can-bo");
  } catch (error) {
    outcome.setAttribute("role", "alert");
    outcome.textContent = refusalText(error, document.body.dataset);
  }
});
