// The jobs screen: your jobs, each a card that follows its job live.

import { api, download } from "./api.js";
import { busy, clear, errorBox, h, showError, table, when } from "./dom.js";
import { coalesced, watch } from "./live.js";
import { receiptTables } from "./receipt.js";

const ENDED = new Set(["completed", "failed", "cancelled"]);
const KINDS = {
  pdf: "PDF", receipt: "Receipt", page_ocr: "Page", page_batch: "Pages",
  color_transfer: "Recolour", crawl: "Crawl", validation: "Validation",
};

export async function jobsScreen(root, _args, signal) {
  const error = errorBox();
  const list = h("div", { class: "cards" });
  clear(root, h("h1", {}, "Your jobs"), error, list);
  const cards = new Map();
  const load = async () => {
    try {
      const page = await api("/api/v1/jobs?limit=50", { signal });
      const shown = page.jobs.map((job) => {
        const card = cards.get(job.id) ?? jobCard(job, signal);
        cards.set(job.id, card);
        card.update(job);
        return card.el;
      });
      clear(list, shown.length ? shown
        : h("p", { class: "muted" }, "No jobs yet. ", h("a", { href: "#new" }, "Start one.")));
    } catch (e) {
      showError(error, e);
    }
  };
  const reload = coalesced(load);
  // A message about a job not shown yet (just created elsewhere): read the list again.
  watch((message) => {
    const known = [...cards.values()].some((card) => card.concerns(message?.data));
    if (!message || !known) reload();
  }, signal);
  await load();
}

/** A card showing one job (any kind) and re-reading it whenever the live feed names it. */
export function jobCard(initial, signal) {
  let job = initial;
  const status = h("span", { class: "badge" });
  const bar = h("progress", { max: 100, value: 0, "aria-label": "progress" });
  const step = h("span", { class: "step" });
  const failure = h("p", { class: "error", hidden: true });
  const actions = h("div", { class: "actions" });
  const error = errorBox();
  const details = h("div", { class: "details" });
  const el = h("article", { class: "card job", "data-job-id": job.id },
    h("header", {}, h("div", {}, h("strong", { class: "title" }, title(job)),
      h("small", { class: "muted" }, ` · ${when(job.created_at)}`)), status),
    h("div", { class: "meter" }, bar, step), failure, actions, error, details);
  const refresh = coalesced(async () => {
    try {
      update(await api(`/api/v1/jobs/${job.id}`, { signal }));
    } catch (e) {
      showError(error, e);
    }
  });
  const concerns = (data) => data != null
    && (data.job_id === job.id || data.job_id === job.uuid || data.task_id === job.uuid);
  watch((message) => {
    if (message ? concerns(message.data) : !ENDED.has(job.status)) refresh();
  }, signal);

  let shownState = "";
  function update(next) {
    job = next;
    status.textContent = job.status;
    el.dataset.status = status.dataset.status = job.status;
    bar.value = job.progress_percent;
    bar.textContent = `${job.progress_percent}%`;
    step.textContent = [`${job.progress_percent}%`, job.current_step].filter(Boolean).join(" · ");
    failure.hidden = !job.error;
    failure.textContent = job.error || "";
    const state = `${job.status}/${job.finalized}`;
    if (state !== shownState) {
      shownState = state;
      clear(actions, jobActions(job, { refresh, details, error, signal }));
    }
  }
  update(initial);
  return { el, update, concerns };
}

function title(job) {
  return `${KINDS[job.kind] || job.kind}: ${job.original_filename || `#${job.id}`}`;
}

function jobActions(job, { refresh, details, error, signal }) {
  const button = (label, action) => {
    const b = h("button", { type: "button" }, label);
    b.addEventListener("click", () => busy(b, error, action));
    return b;
  };
  const show = async (content) => clear(details, await content);
  const buttons = [button("Events", () => show(eventList(job, signal)))];
  if (!ENDED.has(job.status)) {
    buttons.unshift(button("Cancel", async () => {
      await api(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" });
      refresh();
    }));
  }
  if (job.status === "completed") buttons.unshift(...resultButtons(job, button, show, signal));
  if (job.status === "completed" && !job.finalized) {
    buttons.push(button("Settle credits", async () => {
      await api(`/api/v1/jobs/${job.id}/finalize`, { method: "POST" });
      refresh();
    }));
  }
  return buttons;
}

function resultButtons(job, button, show, signal) {
  if (job.kind === "pdf") {
    const text = `/api/v1/jobs/${job.id}/result?format=txt`;
    return [
      button("Show text", async () => show(h("pre", { class: "text" }, await api(text, { signal })))),
      button("Download text", () => download(text, `job_${job.id}.txt`)),
    ];
  }
  if (job.kind === "color_transfer") {
    return [button("Download image", async () => {
      const task = await api(`/api/v1/task/${job.uuid}`, { signal });
      await download(task.result.downloads.result, `${task.result.result_job_id}.png`);
    })];
  }
  if (job.kind === "receipt") {
    return [button("Show fields", async () => {
      const answer = await api(`/api/v3/receipts/status/${job.uuid}`, { signal });
      return show(receiptTables(answer.data.result));
    })];
  }
  if (job.kind === "page_ocr" || job.kind === "page_batch") {
    return [button("Show pages", async () => {
      const task = await api(`/api/v1/tasks/status/${job.uuid}`, { signal });
      return show(table(["Page", "Status", "Text"], (task.result?.results || []).map((page) =>
        [String(page.page_number), page.status, page.text ?? page.error ?? ""])));
    })];
  }
  return [];
}

async function eventList(job, signal) {
  const { events } = await api(`/api/v1/jobs/${job.id}/events?limit=200`, { signal });
  return h("ol", { class: "events" }, events.map((event) => h("li", {},
    h("time", {}, new Date(event.created_at).toLocaleTimeString()), " ", describeEvent(event))));
}

function describeEvent(event) {
  const parts = [event.event_type];
  if (event.chunk_index != null) parts.push(`chunk ${event.chunk_index}`);
  if (event.to_status) parts.push(`${event.from_status ?? "–"} → ${event.to_status}`);
  for (const [key, value] of Object.entries(event.detail || {})) {
    if (value !== null && typeof value !== "object") parts.push(`${key} ${value}`);
  }
  return parts.join(" · ");
}
