// A PDF (seed 001): upload it to confirm (pages counted, credits reserved), choose the
// options, start; the job's card then follows it to its text.

import { api } from "./api.js";
import { busy, clear, errorBox, fileDrop, h, hideError, showError } from "./dom.js";
import { jobCard } from "./jobs.js";

export function pdfScreen(root, _args, signal) {
  const error = errorBox();
  const step = h("div");
  const drop = fileDrop({
    label: "Drop a PDF here, or choose one",
    accept: "application/pdf,.pdf",
    onFiles: ([file]) => confirm(file),
  });
  clear(root, h("p", { class: "muted" }, "One credit a page, reserved now and settled at the end."),
    drop, error, step);

  async function confirm(file) {
    hideError(error);
    clear(step, h("p", { class: "muted" }, `Uploading ${file.name}…`));
    const form = new FormData();
    form.append("pdf_file", file);
    try {
      const job = await api("/api/v1/jobs/confirm", { method: "POST", form, signal });
      clear(step, optionsForm(file, job));
    } catch (e) {
      clear(step);
      showError(error, e);
    }
  }

  function optionsForm(file, job) {
    const start = h("button", { type: "submit" }, "Start processing");
    const drop = h("button", { type: "button" }, "Cancel job");
    const form = h("form", { class: "options" },
      h("p", { class: "summary" }, `${file.name}: ${job.page_count} pages, `
        + `${job.estimated_credits} credits reserved.`),
      choice("ocr", "Scanned pages", [["auto", "read by OCR (auto)"],
        ["always", "OCR every page"], ["never", "text layer only"]]),
      choice("gemini_model", "Model", [["", "default"], ["balanced", "balanced"],
        ["quality", "quality"], ["speed", "speed"]]),
      check("fix_hyphenation", "Join words hyphenated across lines", true),
      check("ignore_dialogue", "Leave out dialogue (sentences opening with a quote or dash)"),
      check("preserve_formatting", "Keep line breaks inside sentences"),
      number("sentence_length_limit", "Cut sentences longer than (characters)", 20, 5000),
      number("min_sentence_length", "Drop sentences shorter than (characters)", 0, 1000),
      h("div", { class: "actions" }, start, drop));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(start, error, async () => {
        const started = await api("/api/v1/process-pdf-async",
          { method: "POST", form: startForm(form, file, job.job_id), signal });
        const view = await api(`/api/v1/jobs/${started.job_id}`, { signal });
        clear(step, jobCard(view, signal).el);
      });
    });
    drop.addEventListener("click", () => busy(drop, error, async () => {
      await api(`/api/v1/jobs/${job.job_id}/cancel`, { method: "POST" });
      clear(step, h("p", { class: "muted" }, "Cancelled: the credits are back."));
    }));
    return form;
  }
}

function startForm(form, file, jobId) {
  const body = new FormData();
  body.append("job_id", jobId);
  body.append("pdf_file", file);
  for (const input of form.elements) {
    if (!input.name) continue;
    if (input.type === "checkbox") body.append(input.name, String(input.checked));
    else if (input.value !== "") body.append(input.name, input.value);
  }
  return body;
}

function choice(name, label, options) {
  return h("label", {}, label, h("select", { name },
    options.map(([value, text]) => h("option", { value }, text))));
}

function check(name, label, checked = false) {
  return h("label", { class: "check" }, h("input", { type: "checkbox", name, checked }), label);
}

function number(name, label, min, max) {
  return h("label", {}, label, h("input", { type: "number", name, min, max, inputmode: "numeric" }));
}
