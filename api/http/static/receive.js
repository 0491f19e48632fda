// The receipt form: upload the scans, then sign the receipt in this browser.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { csrfHeader, refusalText, sha256, signAndSend } from "/static/officer.js";
const form = document.getElementById("receive");
const procedure = form.elements.procedure;
const showAppointed = () => {
  document.getElementById("appointed").textContent = procedure.selectedOptions[0]?.dataset.appointedText || "";
};
procedure.addEventListener("change", showAppointed);
showAppointed();
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const outcome = form.querySelector(".outcome");
  const code = form.elements.code.value.trim();
  const chosen = procedure.selectedOptions[0];
  try {
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
        method: "PUT", body: bytes, credentials: "same-origin", headers: csrfHeader(),
      });
      if (!sent.ok) throw new Error((await sent.json()).detail);
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
    const receipt = await signAndSend(intent, form.dataset.officer, form.dataset.office);
    outcome.textContent = form.dataset.receipt.replace("{code}", code).replace("{secret}", receipt.secret);
  } catch (error) {
    outcome.setAttribute("role", "alert");
    outcome.textContent = refusalText(error, document.body.dataset);
  }
});
