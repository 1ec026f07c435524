// Conveyor's web app: sign in, then the screens, chosen by the URL's hash (#jobs,
// #new/pdf, #credits...). Plain modules, no build step, nothing loaded from elsewhere.

import { api, onSignedOut, session } from "./api.js";
import { colourScreen } from "./colour.js";
import { creditsScreen } from "./credits.js";
import { busy, clear, errorBox, h, showError } from "./dom.js";
import { jobsScreen } from "./jobs.js";
import * as live from "./live.js";
import { pagesScreen } from "./pages.js";
import { pdfScreen } from "./pdf.js";
import { receiptScreen } from "./receipt.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const banner = document.getElementById("banner");
const NEW_JOBS = [
  ["pdf", "PDF", pdfScreen], ["receipt", "Receipt", receiptScreen],
  ["pages", "Scanned pages", pagesScreen], ["colour", "Recolour a photo", colourScreen],
];
const SCREENS = { jobs: jobsScreen, new: newJobScreen, credits: creditsScreen };
let screen = null; // the AbortController of the screen shown: aborted when it is left

function route() {
  screen?.abort();
  screen = new AbortController();
  banner.hidden = true;
  if (!session.token) return signInScreen();
  const [name, ...args] = location.hash.slice(1).split("/");
  const shown = SCREENS[name] ? name : "jobs";
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("current", link.dataset.screen === shown);
  }
  const signal = screen.signal;
  clear(main, h("p", { class: "muted" }, "Loading…"));
  Promise.resolve()
    .then(() => SCREENS[shown](main, args, signal))
    .catch((error) => {
      if (!signal.aborted) clear(main, h("p", { class: "error", role: "alert" }, error.message));
    });
}

function newJobScreen(root, [kind = "pdf", ...args], signal) {
  const chosen = NEW_JOBS.find(([key]) => key === kind) ?? NEW_JOBS[0];
  const body = h("section", { class: "new-job" });
  clear(root, h("h1", {}, "New job"),
    h("nav", { class: "tabs" }, NEW_JOBS.map(([key, label]) =>
      h("a", { href: `#new/${key}`, class: key === chosen[0] ? "current" : null }, label))),
    body);
  return chosen[2](body, args, signal);
}

function signInScreen(message) {
  nav.hidden = true;
  const error = errorBox();
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", minlength: 8,
    autocomplete: "current-password", required: true });
  const signIn = h("button", { type: "submit", class: "primary" }, "Sign in");
  const register = h("button", { type: "button" }, "Create account");
  const form = h("form", { class: "sign-in card" }, h("h1", {}, "Sign in"),
    h("label", {}, "Email", email), h("label", {}, "Password (at least 8 characters)", password),
    h("div", { class: "actions" }, signIn, register), error);
  const credentials = () => ({ email: email.value, password: password.value });
  const enter = async () => {
    const token = await api("/api/v1/auth/login", { method: "POST", json: credentials() });
    session.token = token.access_token;
    started();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(signIn, error, enter);
  });
  register.addEventListener("click", () => {
    if (!form.reportValidity()) return;
    busy(register, error, async () => {
      await api("/api/v1/auth/register", { method: "POST", json: credentials() });
      await enter();
    });
  });
  clear(main, form);
  if (message) showError(error, { message });
}

function started() {
  nav.hidden = false;
  live.start(document.getElementById("live"));
  api("/api/v1/auth/me").then((me) => {
    document.getElementById("who").textContent = me.email;
  }, () => {});
  if (!location.hash || location.hash === "#") location.hash = "#jobs";
  else route();
}

function signOut(message) {
  session.clear();
  live.stop();
  screen?.abort();
  signInScreen(message);
}

onSignedOut(signOut);
document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
// Whatever fails unexpectedly is said in words, never a blank or frozen screen.
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason?.name === "AbortError") return;
  showError(banner, event.reason);
});
window.addEventListener("error", (event) => showError(banner, event.error || event.message));

if (session.token) started();
else route();
