// The verification page's own check, in the browser (api/http/static/verify.js), of the chosen file or
// of this dossier's bundle, against the key in the field.
// A file of its own, not inline: the pages' Content-Security-Policy runs no inline script.
import { BundleProblem, checkBundle, say } from "/static/verify.js";
const words = JSON.parse(document.getElementById("browser-words").textContent);
const section = document.getElementById("browser-check");
const result = document.getElementById("browser-result");

function show(text, className, lines = [], note = "") {
  const box = document.createElement("div");
  box.className = className;
  const head = document.createElement("p");
  head.textContent = text;
  box.append(head);
  if (lines.length) {
    const list = document.createElement("ul");
    for (const line of lines) list.append(Object.assign(document.createElement("li"), { textContent: line }));
    box.append(list);
  }
  result.replaceChildren(box);
  if (note) result.append(Object.assign(document.createElement("p"), { className: "hint", id: "browser-certificates", textContent: note }));
}

async function bundleBytes() {
  const file = document.getElementById("file").files[0];
  if (file) return new Uint8Array(await file.arrayBuffer());
  if (!section.dataset.bundle) throw new BundleProblem("no_file");
  const response = await fetch(section.dataset.bundle).catch(() => null);
  if (!response || !response.ok) throw new BundleProblem("fetch_failed");
  return new Uint8Array(await response.arrayBuffer());
}

document.getElementById("browser-run").addEventListener("click", async () => {
  show(words.checking, "");
  try {
    const verdict = await checkBundle(await bundleBytes(), document.getElementById("browser-key").value);
    // statements signed with certificate keys: their signatures were checked here, their chains not
    const note = verdict.certified > 0 ? say(new BundleProblem("certificate_chains", verdict), words) : "";
    if (verdict.ok) show(say(new BundleProblem("ok", verdict), words), "verified", [], note);
    else show(words.failed, "problem", verdict.problems.map((p) => say(p, words)), note);
  } catch (error) {
    const problem = error instanceof BundleProblem ? error : new BundleProblem("not_canonical", { reason: String(error) });
    if (problem.code === "no_file" || problem.code === "fetch_failed") show(say(problem, words), "problem");
    else show(words.failed, "problem", [say(problem, words)]);
  }
});
