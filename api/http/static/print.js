// The control slip's print button (a handler here, not inline: the pages allow no inline script).
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
