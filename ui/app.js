// sluice's dashboard: the queue, the nodes and each job, read from the API
// with the token the user typed, refreshed every few seconds.
//
// Everything a job or a node says (output, file names, reasons, labels) is
// someone else's text: it goes into the page as text (textContent, append of
// strings), never as markup.  The token lives in this tab's sessionStorage
// and goes in the Authorization header only, never in a URL; downloads are
// fetched with it and saved from a Blob.

const TOKEN_KEY = "sluice.token";
const REFRESH_MS = 2000;
const LIST_LIMIT = 100;
const FINAL = new Set(["COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY",
  "CANCELLED", "NODE_FAIL"]);

const $ = (id) => document.getElementById(id);

// A new element with properties (class, href and data-* handled apart) and
// children: nodes, or strings, which become text.
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "href") e.setAttribute("href", v);
    else if (k.startsWith("data-")) e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children)
    e.append(c instanceof Node ? c : String(c ?? ""));
  return e;
}

// The daemon said no to the token.
class AuthError extends Error {}

// The API's error text of a response, or its status line.
async function errorText(res) {
  try {
    const j = await res.json();
    if (j && typeof j.error === "string") return j.error;
  } catch (_) { /* not JSON */ }
  return `${res.status} ${res.statusText}`;
}

// GET path with the token: its JSON, or a Blob if blob is set.
async function api(path, { blob = false, token } = {}) {
  const res = await fetch(path, {
    headers: { Authorization: `Bearer ${token ?? sessionStorage.getItem(TOKEN_KEY)}` },
    cache: "no-store",
    credentials: "omit",
  });
  if (res.status === 401) throw new AuthError(await errorText(res));
  if (!res.ok) {
    const err = new Error(await errorText(res));
    err.status = res.status;
    throw err;
  }
  return blob ? res.blob() : res.json();
}

// Formatting.

function pad2(n) { return String(n).padStart(2, "0"); }

// Seconds as SLURM writes a time: M:SS, H:MM:SS, D-HH:MM:SS.
function duration(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d > 0) return `${d}-${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  if (h > 0) return `${h}:${pad2(m)}:${pad2(s)}`;
  return `${m}:${pad2(s)}`;
}

// An RFC 3339 time as "12 s ago" (the time itself in its title).
function ago(iso) {
  if (!iso) return el("span", {}, "");
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return el("span", {}, iso);
  const s = Math.max(0, (Date.now() - t) / 1000);
  let words;
  if (s < 60) words = `${Math.floor(s)} s ago`;
  else if (s < 3600) words = `${Math.floor(s / 60)} min ago`;
  else if (s < 86400) words = `${Math.floor(s / 3600)} h ago`;
  else words = new Date(t).toISOString().slice(0, 16).replace("T", " ");
  return el("time", { dateTime: iso, title: iso }, words);
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n), u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function seconds(n) {
  if (n === null || n === undefined) return "";
  return `${Number(n).toFixed(n < 10 ? 3 : 1)} s`;
}

// The run time of a job as sluice list's TIME (squeue's) shows it: 0:00
// while the job waits, requeued or not, then from the current attempt's
// start (attempt_started_at), not the first attempt's.
function runTime(j) {
  if (j.state === "PENDING") return "0:00";
  if (j.wall_seconds !== null && j.wall_seconds !== undefined && FINAL.has(j.state))
    return duration(j.wall_seconds);
  const start = j.attempt_started_at ?? j.started_at;
  if (!start) return "0:00";
  const end = j.finished_at ? Date.parse(j.finished_at) : Date.now();
  return duration((end - Date.parse(start)) / 1000);
}

function stateSpan(state) {
  return el("span", { class: `state state-${String(state).replace(/[^A-Z_]/g, "")}` }, state);
}

// Ids are digits; anything else is not made into a link.
function jobLink(id) {
  const s = String(id);
  return /^[0-9]{1,18}$/.test(s) ? el("a", { href: `#/jobs/${s}` }, s) : el("span", {}, s);
}

// The status line at the top.
function status(message, isError = false) {
  const s = $("status");
  s.textContent = message;
  s.classList.toggle("error", isError);
}

// Views: one of login, overview and job is shown.

let generation = 0; // bumped on every change of view: late answers are dropped
let timer = null;

function show(id) {
  for (const v of ["login", "overview", "job"]) $(v).hidden = v !== id;
  $("logout").hidden = id === "login";
}

// Call fn again in a while, unless the view has changed by then; a tab
// that is not shown asks nothing until it is.
function later(fn) {
  const g = generation;
  clearTimeout(timer);
  timer = setTimeout(() => {
    if (g !== generation) return;
    if (document.hidden) later(fn);
    else fn(g);
  }, REFRESH_MS);
}

// A failed refresh: a refused token goes back to the login; anything else
// is said, and tried again.
function failed(e, g, again) {
  if (g !== generation) return;
  if (e instanceof AuthError) {
    logout(`The daemon no longer accepts this token (${e.message}). Log in again.`);
    return;
  }
  status(`Cannot read from the daemon: ${e.message}. Trying again…`, true);
  later(again);
}

function updated() {
  status(`Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`);
}

// The overview: the newest jobs and every node.
async function refreshOverview(g) {
  const state = $("state-filter").value;
  const q = new URLSearchParams({ limit: String(LIST_LIMIT) });
  if (state) q.set("state", state);
  try {
    const [list, pool] = await Promise.all([api(`/v1/jobs?${q}`), api("/v1/nodes")]);
    if (g !== generation) return;
    renderJobs(list.jobs ?? []);
    renderNodes(pool.nodes ?? []);
    updated();
  } catch (e) {
    failed(e, g, refreshOverview);
    return;
  }
  later(refreshOverview);
}

function renderJobs(jobs) {
  const rows = jobs.map((j) => el("tr", { "data-id": j.id, "data-state": j.state },
    el("td", { class: "num" }, jobLink(j.id)),
    el("td", {}, j.name ?? ""),
    el("td", {}, stateSpan(j.state)),
    el("td", {}, j.runtime),
    el("td", {}, j.tenant),
    el("td", {}, j.node ?? ""),
    el("td", {}, ago(j.submitted_at)),
    el("td", { class: "num time" }, runTime(j)),
    el("td", {}, j.reason ?? "")));
  $("jobs").tBodies[0].replaceChildren(...rows);
  $("jobs-empty").hidden = jobs.length > 0;
}

function renderNodes(nodes) {
  const rows = nodes.map((n) => el("tr", { "data-name": n.name, "data-state": n.state },
    el("td", {}, n.name),
    el("td", {}, stateSpan(n.state)),
    el("td", { class: "num" }, `${n.busy}/${n.slots}`),
    el("td", {}, (n.labels ?? []).join(", ")),
    el("td", {}, (n.runtimes ?? []).map((r) => (r.version ? `${r.name} ${r.version}` : r.name)).join(", ")),
    el("td", {}, n.reason ?? ""),
    el("td", {}, ago(n.last_seen))));
  $("nodes").tBodies[0].replaceChildren(...rows);
}

// A job's page.
async function refreshJob(g, id) {
  let job;
  try {
    job = await api(`/v1/jobs/${id}`);
  } catch (e) {
    if (g !== generation) return;
    if (e.status === 404 || e.status === 403) {
      $("job-body").hidden = true;
      $("job-error").hidden = false;
      $("job-error").textContent = e.status === 404
        ? `There is no job ${id} (or it has been purged).`
        : `Job ${id} belongs to another tenant: this token cannot see it.`;
      updated();
      return;
    }
    failed(e, g, (g2) => refreshJob(g2, id));
    return;
  }
  if (g !== generation) return;
  renderJob(job);
  updated();
  if (!FINAL.has(job.state)) later((g2) => refreshJob(g2, id));
}

function field(dl, name, value) {
  if (value === null || value === undefined || value === "") return;
  dl.append(el("dt", {}, name), el("dd", {}, value instanceof Node ? value : String(value)));
}

function renderJob(j) {
  $("job-error").hidden = true;
  $("job-body").hidden = false;
  $("job-state").replaceChildren(stateSpan(j.state));
  const dl = el("dl", { id: "job-fields" });
  field(dl, "Name", j.name);
  field(dl, "Verdict", j.verdict);
  field(dl, "Judgement", j.judgement);
  field(dl, "Reason", j.reason);
  field(dl, "Runtime", j.runtime);
  field(dl, "Tenant", j.tenant);
  field(dl, "Node", j.node);
  field(dl, "Attempts", j.attempts);
  field(dl, "Labels", (j.labels ?? []).join(", "));
  field(dl, "Submitted", j.submitted_at && ago(j.submitted_at));
  field(dl, "Started", j.started_at && ago(j.started_at));
  field(dl, "Finished", j.finished_at && ago(j.finished_at));
  field(dl, "Run time", runTime(j));
  field(dl, "Exit code", j.exit_code);
  field(dl, "Signal", j.signal);
  if (j.callback) field(dl, "Callback", `${j.callback.state} (${j.callback.attempts} attempts)`);
  $("job-fields").replaceWith(dl);

  renderLimits(j);

  const c = j.compile;
  $("job-compile").hidden = !c;
  if (c) {
    const cdl = el("dl", { id: "compile-fields" });
    field(cdl, "Verdict", c.verdict);
    field(cdl, "Exit code", c.exit_code);
    field(cdl, "Signal", c.signal);
    field(cdl, "CPU", seconds(c.cpu_seconds));
    field(cdl, "Wall", seconds(c.wall_seconds));
    field(cdl, "Memory", bytes(c.memory_peak_bytes));
    $("compile-fields").replaceWith(cdl);
    $("compile-stderr").textContent = [c.stdout, c.stderr].filter(Boolean).join("\n");
  }

  const has = j.stdout !== null && j.stdout !== undefined;
  for (const s of ["stdout", "stderr"]) {
    $(s).textContent = has ? j[s] : "";
    $(`${s}-note`).textContent = !has
      ? (FINAL.has(j.state) ? "(none)" : "(once the job has ended)")
      : j[`${s}_truncated`] ? "(shortened: download it for all of it)"
        : j[s] === "" ? "(empty)" : "";
    const b = $(`${s}-download`);
    b.hidden = !has;
    b.onclick = () => download(`/v1/jobs/${j.id}/${s}`, `job-${j.id}.${s}`, b);
  }

  const files = j.out_files ?? [];
  $("files").replaceChildren(...files.map((f) => {
    const b = el("button", { type: "button", "data-name": f.name }, "Download");
    const path = String(f.name).split("/").map(encodeURIComponent).join("/");
    b.onclick = () => download(`/v1/jobs/${j.id}/files/${path}`, String(f.name).split("/").pop(), b);
    return el("li", {}, el("code", {}, f.name), ` (${bytes(f.bytes)})`, b);
  }));
  $("files-note").textContent = files.length === 0
    ? (FINAL.has(j.state) ? "None." : "Once the job has ended.")
    : j.out_files_truncated ? "Some files were left behind (too many or too large)." : "";
}

// Limits against what the job used (the result's limits are those the node
// applied; before it, those the submission asked for).
function renderLimits(j) {
  const lim = j.limits ?? {};
  const rows = [
    ["CPU time", j.cpu_seconds, lim.cpu_seconds, seconds],
    ["Wall time", j.wall_seconds, lim.wall_seconds, seconds],
    ["Memory", j.memory_peak_bytes, lim.memory_bytes, bytes],
    ["Output", null, lim.output_bytes, bytes],
    ["Disk", null, lim.disk_bytes, bytes],
    ["Processes", null, lim.processes, String],
    ["Open files", null, lim.open_files, String],
  ].filter(([, used, allowed]) => allowed !== undefined || (used !== null && used !== undefined));
  $("job-limits").tBodies[0].replaceChildren(...rows.map(([name, used, allowed, fmt]) => {
    const known = used !== null && used !== undefined;
    const meter = known && allowed > 0
      ? el("meter", { min: 0, max: allowed, value: Math.min(used, allowed), low: allowed * 0.5, high: allowed * 0.9, optimum: 0 })
      : "";
    return el("tr", {},
      el("td", {}, name),
      el("td", { class: "num" }, known ? fmt(used) : ""),
      el("td", { class: "num" }, allowed !== undefined ? fmt(allowed) : ""),
      el("td", {}, meter));
  }));
}

// Fetch path with the token and save it as name.
async function download(path, name, button) {
  button.disabled = true;
  try {
    const blob = await api(path, { blob: true });
    const url = URL.createObjectURL(new Blob([blob], { type: "application/octet-stream" }));
    const a = el("a", { href: url, download: name });
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    if (e instanceof AuthError) logout(`The daemon no longer accepts this token (${e.message}). Log in again.`);
    else status(`Cannot download ${name}: ${e.message}`, true);
  } finally {
    button.disabled = false;
  }
}

// Logging in and out.

function logout(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  loginError(message);
  route();
}

function loginError(message) {
  $("login-error").textContent = message;
  $("login-error").hidden = message === "";
}

async function login(ev) {
  ev.preventDefault();
  const input = $("token");
  const token = input.value.trim();
  if (token === "") {
    loginError("Type a token first.");
    return;
  }
  loginError("");
  $("login-button").disabled = true;
  try {
    await api("/v1/jobs?limit=1", { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = "";
    route();
  } catch (e) {
    if (e instanceof AuthError)
      loginError(`Wrong token: the daemon does not accept it (${e.message}). Check it and try again.`);
    else if (e instanceof TypeError && /header|ISO-8859-1|Headers/i.test(e.message))
      loginError("Wrong token: it has characters that no token has.");
    else
      loginError(`Cannot reach the daemon: ${e.message}`);
  } finally {
    $("login-button").disabled = false;
  }
}

// Show what the address says: the login without a token, a job's page for
// #/jobs/ID, else the overview.
function route() {
  generation++;
  clearTimeout(timer);
  const g = generation;
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    show("login");
    status("");
    $("token").focus();
    return;
  }
  loginError("");
  const m = /^#\/jobs\/([0-9]{1,18})$/.exec(location.hash);
  if (m) {
    show("job");
    $("job-id").textContent = m[1];
    $("job-state").replaceChildren();
    $("job-body").hidden = true;
    $("job-error").hidden = true;
    refreshJob(g, m[1]);
  } else {
    show("overview");
    refreshOverview(g);
  }
}

$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", () => logout());
$("state-filter").addEventListener("change", () => route());
window.addEventListener("hashchange", route);
route();
