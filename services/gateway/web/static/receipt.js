// A receipt photo (API v3, seed 002): its status live, then its fields with confidences.

import { api } from "./api.js";
import { busy, clear, errorBox, fileDrop, h, hideError, showError, table } from "./dom.js";
import { coalesced, watch } from "./live.js";

const V3 = "/api/v3/receipts";
const ENDED = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
const FIELDS = [
  ["merchant", "Merchant"], ["address", "Address"], ["tax_id", "Tax id"], ["date", "Date"],
  ["time", "Time"], ["subtotal", "Subtotal"], ["total", "Total"], ["currency", "Currency"],
  ["payment_method", "Payment"],
];
// README: a field read with a confidence of at least 0.8 was right 94% of the time.
const SURE = 0.8;

export function receiptScreen(root, _args, signal) {
  const error = errorBox();
  const status = h("div");
  const drop = fileDrop({
    label: "Drop a receipt photo here (JPEG, PNG, WebP or TIFF, at most 10 MB), or choose one",
    accept: "image/*",
    onFiles: ([file]) => submit(file),
  });
  clear(root, h("p", { class: "muted" }, "One credit a receipt."), drop, error, status);

  async function submit(file) {
    hideError(error);
    clear(status, h("p", { class: "muted" }, `Uploading ${file.name}…`));
    const form = new FormData();
    form.append("file", file);
    try {
      const answer = await api(`${V3}/process`, { method: "POST", form, signal });
      clear(status, receiptStatus(answer.data.job_id, signal));
    } catch (e) {
      clear(status);
      showError(error, e);
    }
  }
}

function receiptStatus(uuid, signal) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": "progress" });
  const step = h("span", { class: "step" });
  const badge = h("span", { class: "badge" });
  const name = h("strong", { class: "title" }, "Receipt");
  const error = errorBox();
  const cancel = h("button", { type: "button" }, "Cancel");
  const result = h("div");
  const card = h("article", { class: "card receipt" },
    h("header", {}, name, badge), h("div", { class: "meter" }, bar, step),
    h("div", { class: "actions" }, cancel), error, result);
  let data = { status: "PENDING" };
  const refresh = coalesced(async () => {
    try {
      data = (await api(`${V3}/status/${uuid}`, { signal })).data;
      render();
    } catch (e) {
      showError(error, e);
    }
  });
  cancel.addEventListener("click", () => busy(cancel, error, async () => {
    await api(`${V3}/cancel/${uuid}`, { method: "DELETE" });
    refresh();
  }));
  watch((message) => {
    if (message ? message.data?.task_id === uuid : !ENDED.has(data.status)) refresh();
  }, signal);
  refresh();

  function render() {
    badge.textContent = badge.dataset.status = card.dataset.status = data.status;
    name.textContent = `Receipt: ${data.filename || ""}`;
    bar.value = data.progress;
    step.textContent = `${data.progress}% · ${data.message}`;
    cancel.hidden = ENDED.has(data.status);
    if (data.status === "SUCCESS") clear(result, receiptTables(data.result));
    if (data.status === "FAILURE") showError(error, { message: data.error });
  }
  return card;
}

/** The receipt's fields, items and warnings, each with the confidence it was read with. */
export function receiptTables(receipt) {
  if (!receipt) return h("p", { class: "muted" }, "No fields were read.");
  const fields = FIELDS.filter(([key]) => receipt[key]).map(([key, label]) =>
    [label, receipt[key].value ?? "—", confidence(receipt[key].confidence)]);
  const items = (receipt.items || []).map((item) =>
    [item.name, item.quantity == null ? "" : String(Number(item.quantity)), item.amount ?? "",
      confidence(item.confidence)]);
  return h("div", { class: "receipt-result" },
    h("h3", {}, "Fields"), withClass(table(["Field", "Value", "Confidence"], fields), "fields"),
    items.length ? [h("h3", {}, "Items"), table(["Item", "Qty", "Amount", "Confidence"], items)] : null,
    (receipt.warnings || []).length
      ? h("ul", { class: "warnings" }, receipt.warnings.map((w) => h("li", {}, w.message)))
      : null);
}

function confidence(value) {
  if (value == null) return "";
  return h("span", { class: value >= SURE ? "sure" : "unsure" }, `${Math.round(value * 100)}%`);
}

function withClass(el, name) {
  el.classList.add(name);
  return el;
}
