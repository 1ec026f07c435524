// Calls to the gateway's API with the bearer token, and its errors in words.

// The token is kept in sessionStorage, not localStorage: it is a bearer credential (valid
// for an hour), and sessionStorage keeps it to the tab that signed in and drops it when
// that tab closes, instead of leaving it on the disk for every later visitor of the
// browser profile. The price is signing in again in a new tab.
const TOKEN_KEY = "conveyor.token";
let signedOut = () => {};

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) { sessionStorage.setItem(TOKEN_KEY, value); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** `listener(message)` runs when the API refuses the token (expired, revoked). */
export function onSignedOut(listener) {
  signedOut = listener;
}

export class ApiError extends Error {
  constructor(message, status, errorType) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

/** JSON (or text) of a successful answer; an ApiError saying what went wrong otherwise. */
export async function api(path, { method = "GET", json, form, signal, raw = false } = {}) {
  const headers = {};
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body = form;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("The server cannot be reached. Check the connection and try again.", 0);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && token) signedOut("Your session has ended: sign in again.");
    throw error;
  }
  if (raw) return response;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's error page, say
  }
  const type = body?.error_type ?? body?.data?.error_type;
  return new ApiError(describe(body, response), response.status, type);
}

/** v1 answers `{detail}` (a string, or FastAPI's list of invalid fields); v3 its
 * envelope `{status_code, message, data}`. */
export function describe(body, response) {
  if (typeof body?.detail === "string") return body.detail;
  if (Array.isArray(body?.detail)) return body.detail.map(fieldError).join("; ");
  if (typeof body?.message === "string") return body.message;
  return `The server answered ${response.status} ${response.statusText}`.trim();
}

function fieldError(error) {
  const where = (error.loc || []).slice(1).join(".");
  return where ? `${where}: ${error.msg}` : error.msg;
}

/** A file the API serves only with the token, as an object URL (revoked with `signal`). */
export async function objectUrl(path, signal) {
  const blob = await (await api(path, { raw: true, signal })).blob();
  const url = URL.createObjectURL(blob);
  signal?.addEventListener("abort", () => URL.revokeObjectURL(url), { once: true });
  return url;
}

/** Downloads need the Authorization header too: fetched as a blob, saved from its URL. */
export async function download(path, filename) {
  const blob = await (await api(path, { raw: true })).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
