// Recolour a photo toward a RAL colour (seed 000): upload, pick the colour, run the
// transfer, then the photo before and after side by side.

import { api, download, objectUrl } from "./api.js";
import { busy, clear, errorBox, fileDrop, h, hideError, showError } from "./dom.js";
import { coalesced, watch } from "./live.js";

const ENDED = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
let palette = null; // 213 colours that never change: read once

export async function colourScreen(root, _args, signal) {
  const error = errorBox();
  const photo = h("div", { class: "photo" });
  const picker = h("div", { class: "picker" });
  const chosen = h("p", { class: "chosen" }, "No colour chosen yet.");
  const strength = h("input", { type: "range", name: "strength", min: 0.1, max: 1, step: 0.05, value: 1 });
  const run = h("button", { type: "button", class: "primary", disabled: true }, "Recolour (2 credits)");
  const result = h("div");
  const state = { upload: null, file: null, colour: null };
  const drop = fileDrop({
    label: "Drop a photo here (JPEG, PNG, WebP or TIFF), or choose one",
    accept: "image/*", onFiles: ([file]) => upload(file),
  });
  clear(root, drop, photo, h("h3", {}, "Target colour"), picker, chosen,
    h("label", {}, "Strength", strength), h("div", { class: "actions" }, run), error, result);

  const choose = (colour) => {
    state.colour = colour;
    chosen.textContent = `${colour.code} ${colour.name}`;
    chosen.dataset.code = colour.code;
    for (const swatch of picker.querySelectorAll(".swatch")) {
      swatch.setAttribute("aria-pressed", String(swatch.dataset.code === colour.code));
    }
    run.disabled = !state.upload;
  };

  async function upload(file) {
    hideError(error);
    clear(photo, h("p", { class: "muted" }, `Uploading ${file.name}…`));
    const form = new FormData();
    form.append("file", file);
    try {
      state.upload = await api("/api/v1/upload", { method: "POST", form, signal });
      state.file = file;
      run.disabled = !state.colour;
      clear(photo, h("p", {}, `${state.upload.width} × ${state.upload.height}, mostly: `),
        h("div", { class: "chips" }, state.upload.dominant_colors.map((dominant) =>
          chip(dominant, () => {
            const colour = palette?.find((c) => c.code === dominant.ral_code);
            if (colour) choose(colour);
          }))));
    } catch (e) {
      clear(photo);
      showError(error, e);
    }
  }

  run.addEventListener("click", () => busy(run, error, async () => {
    const accepted = await api("/api/v1/process/async", {
      method: "POST", signal, json: {
        job_id: state.upload.job_id, target_ral_code: state.colour.code,
        strength: Number(strength.value), downsample: true,
      },
    });
    clear(result, transferView(accepted.task_id, state, signal));
  }));

  palette ??= (await api("/api/v1/palette", { signal })).colors;
  clear(picker, swatches(palette, choose));
}

function swatches(colours, choose) {
  const grid = h("div", { class: "swatches" });
  const filter = h("input", { type: "search", placeholder: "Filter: 3000, red, flame…", "aria-label": "Filter colours" });
  const render = () => {
    const words = filter.value.trim().toLowerCase();
    clear(grid, colours
      .filter((c) => !words || `${c.code} ${c.name} ${c.group}`.toLowerCase().includes(words))
      .map((c) => {
        const swatch = h("button", { type: "button", class: "swatch", "data-code": c.code,
          title: `${c.code} ${c.name}`, "aria-label": `${c.code} ${c.name}`, "aria-pressed": "false" });
        swatch.style.backgroundColor = c.hex; // CSSOM, not a style attribute: the CSP allows it
        swatch.addEventListener("click", () => choose(c));
        return swatch;
      }));
  };
  filter.addEventListener("input", render);
  render();
  return [filter, grid];
}

function chip(dominant, onclick) {
  const dot = h("span", { class: "dot" });
  dot.style.backgroundColor = dominant.hex;
  return h("button", { type: "button", class: "chip", onclick }, dot,
    `${dominant.ral_code} ${dominant.name} ${Math.round(dominant.share * 100)}%`);
}

function transferView(taskId, { file, colour }, signal) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": "progress" });
  const step = h("span", { class: "step" });
  const error = errorBox();
  const out = h("div");
  const view = h("article", { class: "card transfer" }, h("div", { class: "meter" }, bar, step), error, out);
  let task = { state: "PENDING" };
  const refresh = coalesced(async () => {
    try {
      task = await api(`/api/v1/task/${taskId}`, { signal });
      view.dataset.state = task.state;
      bar.value = task.progress ?? 0;
      step.textContent = `${task.progress ?? 0}% · ${task.status}`;
      if (task.state === "SUCCESS") clear(out, await comparison(task.result, file, colour, signal));
      if (task.state === "FAILURE") showError(error, { message: task.error || task.status });
    } catch (e) {
      showError(error, e);
    }
  });
  // The socket names colour jobs by number, the task by its uuid: any colour event means
  // "read the task again".
  watch((message) => {
    if (!ENDED.has(task.state) && (!message || message.data?.kind === "color_transfer")) refresh();
  }, signal);
  refresh();
  return view;
}

async function comparison(result, file, colour, signal) {
  const before = URL.createObjectURL(file);
  signal.addEventListener("abort", () => URL.revokeObjectURL(before), { once: true });
  const after = await objectUrl(result.downloads.result, signal);
  const save = h("button", { type: "button" }, "Download result");
  const error = errorBox();
  save.addEventListener("click", () => busy(save, error,
    () => download(result.downloads.result, `${result.result_job_id}.png`)));
  const qc = result.qc_report || {};
  return [
    h("div", { class: "compare" },
      h("figure", {}, h("img", { src: before, alt: "before", class: "before" }), h("figcaption", {}, "Before")),
      h("figure", {}, h("img", { src: after, alt: `after: ${colour.code}`, class: "after" }),
        h("figcaption", {}, `After: ${colour.code} ${colour.name}`))),
    h("p", { class: qc.passed ? "sure" : "unsure" }, qc.passed ? "Quality check passed"
      : "Quality check not passed", qc.delta_e_mean != null ? ` · ΔE00 mean ${qc.delta_e_mean}` : ""),
    h("div", { class: "actions" }, save), error,
  ];
}
