// Scanned pages (seed 003): a project, its pages uploaded one file after another, and
// "Process all pending" as one batch task followed page by page ("page 3/10").

import { api } from "./api.js";
import { busy, clear, errorBox, fileDrop, h, hideError, showError, table } from "./dom.js";
import { coalesced, watch } from "./live.js";

const TASK_ENDED = new Set(["completed", "failed", "cancelled"]);
const IN_FLIGHT = new Set(["queued", "processing"]);

export function pagesScreen(root, [projectId], signal) {
  if (!projectId) return newProject(root, signal);
  return projectView(root, Number(projectId), signal);
}

function newProject(root, signal) {
  const error = errorBox();
  const name = h("input", { name: "name", required: true, maxlength: 200, placeholder: "Annual report" });
  const create = h("button", { type: "submit" }, "Create project");
  const form = h("form", { class: "inline" }, h("label", {}, "Project name", name), create);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(create, error, async () => {
      const project = await api("/api/v1/projects", { method: "POST", json: { name: name.value }, signal });
      location.hash = `#new/pages/${project.id}`;
    });
  });
  clear(root, h("p", { class: "muted" }, "Pages are numbered scans (images or PDFs) read by OCR, one credit a page."),
    form, error);
}

async function projectView(root, projectId, signal) {
  const base = `/api/v1/projects/${projectId}`;
  const error = errorBox();
  const heading = h("h2", {});
  const processAll = h("button", { type: "button", class: "primary" }, "Process all pending");
  const task = h("div", { class: "meter", hidden: true });
  const list = h("div");
  const text = h("div");
  let pages = [];
  let taskId = null;
  const drop = fileDrop({
    label: "Drop page scans or PDFs here (numbered in the order given), or choose them",
    accept: "image/*,application/pdf,.pdf", multiple: true, onFiles: upload,
  });
  clear(root, heading, drop, h("div", { class: "actions" }, processAll,
    h("a", { href: "#new/pages" }, "New project")), task, error, list, text);

  async function load() {
    const [project, listed] = await Promise.all([api(base, { signal }), api(`${base}/pages`, { signal })]);
    pages = listed.pages;
    heading.textContent = `${project.name} · ${project.page_count} pages`;
    // A task still reading pages (the page was reloaded meanwhile) is followed again.
    taskId ??= pages.find((page) => IN_FLIGHT.has(page.ocr_status))?.task_id ?? null;
    const pending = pages.filter((page) => page.ocr_status === "pending");
    processAll.textContent = `Process all pending (${pending.length})`;
    processAll.disabled = pending.length === 0 || taskId !== null;
    clear(list, table(["Page", "File", "Status", "Confidence", "Words", ""], pages.map(pageRow)));
    if (taskId) follow();
  }

  function pageRow(page) {
    const show = h("button", { type: "button" }, "Text");
    show.hidden = page.ocr_status !== "completed";
    show.addEventListener("click", () => busy(show, error, async () => {
      const body = await api(`${base}/pages/${page.id}/result?format=txt`, { signal });
      clear(text, h("h3", {}, `Page ${page.page_number}`), h("pre", { class: "text" }, body));
    }));
    const status = h("span", { class: "badge", "data-status": page.ocr_status }, page.ocr_status);
    return [String(page.page_number), page.original_filename || "", status,
      page.ocr_confidence == null ? "" : `${Math.round(page.ocr_confidence)}%`,
      page.word_count == null ? "" : String(page.word_count), show];
  }

  async function upload(files) {
    hideError(error);
    try {
      for (const file of files) {
        const next = Math.max(0, ...pages.map((page) => page.page_number)) + 1;
        const form = new FormData();
        form.append("file", file);
        form.append("page_number", next);
        const added = await api(`${base}/pages`, { method: "POST", form, signal });
        pages = [...pages, ...added.pages];
      }
    } catch (e) {
      showError(error, e);
    }
    await load().catch((e) => showError(error, e));
  }

  // Not `busy`: the button stays disabled while the task runs (load() decides).
  processAll.addEventListener("click", async () => {
    processAll.disabled = true;
    hideError(error);
    try {
      const ids = pages.filter((page) => page.ocr_status === "pending").map((page) => page.id);
      const queued = await api(`/api/v1/tasks/projects/${projectId}/process-batch`,
        { method: "POST", json: { page_ids: ids }, signal });
      taskId = queued.task_id;
      follow();
    } catch (e) {
      showError(error, e);
    }
    await load().catch((e) => showError(error, e));
  });

  const follow = coalesced(async () => {
    if (!taskId) return;
    try {
      const status = await api(`/api/v1/tasks/status/${taskId}`, { signal });
      showTask(status);
      if (TASK_ENDED.has(status.status)) {
        taskId = null;
        await load();
      }
    } catch (e) {
      showError(error, e);
    }
  });

  function showTask(status) {
    const done = TASK_ENDED.has(status.status);
    const counts = status.result
      ? ` · ${status.result.completed} read, ${status.result.failed} failed` : "";
    task.hidden = false;
    task.dataset.status = status.status;
    clear(task, h("progress", { max: status.total, value: status.current }),
      h("span", { class: "step" }, `${done ? "" : "Processing "}page ${status.current}/${status.total}`
        + ` · ${status.status}${counts}`));
  }

  watch((message) => {
    const kind = message?.data?.kind;
    if (!message || kind === "page_batch" || kind === "page_ocr") follow();
  }, signal);
  await load();
}
