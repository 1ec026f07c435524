// Small DOM helpers. Strings always go in as text nodes, never as HTML, so what the API
// sends (file names, OCR text, error messages) cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

export function errorBox() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

export function showError(box, error) {
  if (error?.name === "AbortError") return;
  box.textContent = error?.message || String(error);
  box.hidden = false;
}

export function hideError(box) {
  box.hidden = true;
  box.textContent = "";
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

/** A drop zone that is also a plain file input (keyboard, phones, tests). */
export function fileDrop({ label, accept, multiple = false, onFiles }) {
  const input = h("input", { type: "file", accept, multiple });
  const zone = h("label", { class: "drop" }, h("span", {}, label), input);
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    if (files.length) onFiles(files);
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = [...event.dataTransfer.files];
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  });
  return zone;
}

/** Runs `action` with the button disabled; its error goes to `box`. */
export async function busy(button, box, action) {
  button.disabled = true;
  if (box) hideError(box);
  try {
    return await action();
  } catch (error) {
    if (box) showError(box, error);
    else throw error;
  } finally {
    button.disabled = false;
  }
}

export function table(headings, rows) {
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", {}, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}
