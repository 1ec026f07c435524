// Live updates: one WebSocket, /ws?token=<JWT>, carrying the events of all the user's jobs.
//
// Why this one: EventSource cannot send the Authorization header, and reading each job's
// SSE stream with fetch() holds one HTTP/1.1 connection per running job, of the six a
// browser allows an origin, so a list with several running jobs would starve the page's
// own requests; the long poll exists for colour tasks only. The socket is one connection
// whatever the number of jobs, and its messages cover every kind. A browser can only
// authenticate a WebSocket through its URL: the gateway's log lines redact the token.
//
// A message only tells which job moved: each screen then re-reads that job's document
// (its status route). So nothing rests on messages arriving: after every (re)connect the
// screens re-read what they show, and while the socket is down they re-read every few
// seconds, so the page stays right, only less promptly.

import { session } from "./api.js";

const POLL_SECONDS = 4;
const RETRY_MAX_SECONDS = 15;
const listeners = new Set();
let socket = null;
let wanted = false;
let retries = 0;
let retryTimer = 0;
let pollTimer = 0;
let indicator = null;

/** `listener(message)` for each message, and `listener(null)` when all should be
 * re-read; until `signal` aborts (the screen was left). */
export function watch(listener, signal) {
  listeners.add(listener);
  signal.addEventListener("abort", () => listeners.delete(listener), { once: true });
}

export function start(indicatorElement) {
  indicator = indicatorElement;
  wanted = true;
  if (!socket) open();
}

export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  setPolling(false);
  const closing = socket;
  socket = null;
  closing?.close(1000);
  show("");
}

function open() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = encodeURIComponent(session.token || "");
  const ws = new WebSocket(`${scheme}//${location.host}/ws?token=${token}`);
  socket = ws;
  show("connecting");
  ws.addEventListener("open", () => {
    retries = 0;
    setPolling(false);
    show("live");
    notify(null);
  });
  ws.addEventListener("message", (event) => {
    try {
      notify(JSON.parse(event.data));
    } catch {
      // not JSON: nothing to act on
    }
  });
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    if (!wanted) return;
    show("offline");
    setPolling(true);
    const seconds = Math.min(RETRY_MAX_SECONDS, 2 ** retries++);
    retryTimer = setTimeout(open, seconds * 1000);
  });
}

function notify(message) {
  for (const listener of [...listeners]) {
    try {
      listener(message);
    } catch (error) {
      console.error(error);
    }
  }
}

function setPolling(on) {
  clearInterval(pollTimer);
  if (on) pollTimer = setInterval(() => notify(null), POLL_SECONDS * 1000);
}

const WORDS = { live: "● Live", connecting: "○ Connecting…", offline: "○ Reconnecting…" };

function show(state) {
  if (!indicator) return;
  indicator.textContent = WORDS[state] || "";
  indicator.dataset.state = state;
  indicator.title = state === "offline" ? "Live updates are down; refreshing every few seconds" : "";
}

/** `action` once, `ms` after the first of a burst of calls: a burst of messages about
 * one job is one re-read. */
export function coalesced(action, ms = 200) {
  let timer = 0;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = 0;
      action();
    }, ms);
  };
}
