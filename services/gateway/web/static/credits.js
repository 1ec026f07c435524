// Credits: balance, what running jobs hold reserved, and the ledger, newest first.

import { api } from "./api.js";
import { busy, clear, errorBox, h, table, when } from "./dom.js";

const PAGE = 50;

export async function creditsScreen(root, _args, signal) {
  const error = errorBox();
  const ledger = h("div");
  const more = h("button", { type: "button", hidden: true }, "Show older entries");
  const rows = [];
  let offset = 0;
  const load = async () => {
    const credits = await api(`/api/v1/credits?limit=${PAGE}&offset=${offset}`, { signal });
    rows.push(...credits.ledger.map((entry) => [when(entry.created_at), entry.entry_type,
      String(entry.amount), entry.job_id == null ? "" : `#${entry.job_id}`,
      String(entry.available_after), String(entry.reserved_after), entry.note || ""]));
    offset += credits.ledger.length;
    more.hidden = credits.ledger.length < PAGE;
    clear(ledger, table(["When", "Entry", "Amount", "Job", "Available", "Reserved", "Note"], rows));
    return credits;
  };
  more.addEventListener("click", () => busy(more, error, load));
  const credits = await load();
  clear(root, h("h1", {}, "Credits"),
    h("dl", { class: "balance" },
      h("div", {}, h("dt", {}, "Available"), h("dd", { id: "balance" }, String(credits.balance))),
      h("div", {}, h("dt", {}, "Reserved"), h("dd", { id: "reserved" }, String(credits.reserved)))),
    h("h2", {}, "Ledger"), ledger, more, error);
}
