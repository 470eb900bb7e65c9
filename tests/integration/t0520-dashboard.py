#!/usr/bin/env python3
"""t0520's browser half: the dashboard in headless Chromium, as a person
uses it, against the daemon t0520-dashboard.sh started.

Prints one line a check, "ok - NAME" or "not ok - NAME", and "# ..." lines
that say why; the shell script numbers them as TAP.  Jobs are submitted
through the API (urllib), as a web application would; the page must show
them on its own.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "lib"))
import cdp  # noqa: E402

FAILED = 0


def check(cond, name, *diag):
    global FAILED
    print(("ok - " if cond else "not ok - ") + name, flush=True)
    if not cond:
        FAILED += 1
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("# " + line[:400], flush=True)
    return cond


def api(base, method, path, token, body=None):
    req = urllib.request.Request(
        base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token,
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=90) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def submit(base, token, source, **extra):
    status, job = api(base, "POST", "/v1/jobs", token,
                      dict(runtime="python3", source=source, **extra))
    if status != 201:
        raise SystemExit(f"submission refused: {status} {job}")
    return job["id"]


# The job whose output is markup: it must show as text and run nothing.
HOSTILE = r'''
import os, sys
print('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">')
print('<b>bold?</b> &amp; <a href="javascript:window.__pwned=3">link</a>')
sys.stderr.write('warning: <i>not italic</i> <svg onload="window.__pwned=4"></svg>\n')
with open('/out/data.csv', 'w') as f:
    f.write('a,b\n1,2\n')
with open('/out/<img src=x onerror=window.__pwned=5>.txt', 'w') as f:
    f.write('named in markup\n')
'''

SLOW = ('import time\nprint("hello from the dashboard test", flush=True)\n'
        'time.sleep(4)\nprint("done")\n')

# The job whose node is lost under it.
LONG = 'import time\nprint("long", flush=True)\ntime.sleep(50)\n'

# What the test watches in every document the tab loads: CSP violations
# (none may happen: the page keeps to its own policy, and hostile output
# never becomes markup), reported through a binding of the protocol's.
WATCH = ("document.addEventListener('securitypolicyviolation', e =>"
         " window.__sluiceViolation(e.violatedDirective + ' ' + e.blockedURI"
         " + ' ' + e.sourceFile + ':' + e.lineNumber));")


def violations(b):
    return [e["params"]["payload"] for e in b.events
            if e["method"] == "Runtime.bindingCalled"
            and e["params"]["name"] == "__sluiceViolation"]


JOB_ROW = "document.querySelector('#jobs tbody tr[data-id=\"%s\"]')"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--other-token", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--artefacts", required=True)
    ap.add_argument("--chromium", required=True)
    a = ap.parse_args()
    base = a.url
    downloads = os.path.join(a.workdir, "downloads")
    os.makedirs(downloads, exist_ok=True)
    os.makedirs(a.artefacts, exist_ok=True)

    b = cdp.Browser(a.chromium, os.path.join(a.workdir, "profile"),
                    log_path=os.path.join(a.workdir, "chromium.log"))
    try:
        run(b, a, base, downloads)
    finally:
        b.close()
    return 1 if FAILED else 0


def visible(sel):
    return ("(() => { const e = document.querySelector(%s);"
            " return e !== null && !e.hidden && e.offsetParent !== null; })()"
            % json.dumps(sel))


def text_of(b, sel):
    return b.evaluate("(document.querySelector(%s) || {}).textContent"
                      % json.dumps(sel))


def run(b, a, base, downloads):
    b.call("Page.enable")
    b.call("Runtime.enable")
    b.call("Network.enable")
    b.call("Runtime.addBinding", {"name": "__sluiceViolation"})
    b.call("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    b.call("Browser.setDownloadBehavior", {
        "behavior": "allow", "downloadPath": downloads}, session=False)

    # The daemon's root sends the browser to the page, which asks for a
    # token.
    b.navigate(base + "/")
    check(b.wait_for(visible("#login-form")), "/ shows the dashboard's login",
          text_of(b, "body"))
    check(b.evaluate("location.pathname") == "/ui/",
          "the page is at /ui/", b.evaluate("location.href"))

    # A wrong token: a clear message, no way in, nothing kept.
    b.type_into("#token", "not-a-token-" + a.token)
    b.click("#login-button")
    msg = b.wait_for("(() => { const e = document.querySelector('#login-error');"
                     " return !e.hidden && e.textContent; })()")
    check(msg and "Wrong token" in msg and "invalid token" in msg,
          "a wrong token says so clearly", f"message: {msg!r}")
    check(b.evaluate("sessionStorage.length") == 0
          and b.evaluate(visible("#overview")) is False,
          "a wrong token is not kept and shows nothing")
    b.screenshot(os.path.join(a.artefacts, "dashboard-wrong-token.png"))

    # The right one.
    b.evaluate("document.querySelector('#token').value = ''")
    b.type_into("#token", a.token)
    b.click("#login-button")
    check(b.wait_for(visible("#overview")), "the right token shows the overview",
          text_of(b, "#login-error"))
    check(b.evaluate("sessionStorage.getItem('sluice.token')") == a.token,
          "the token is kept in the tab's sessionStorage")
    check(b.wait_for("document.querySelector('#nodes tbody tr[data-name=\"node1\"]"
                     "[data-state=\"UP\"]') !== null"),
          "the nodes table shows node1 UP", text_of(b, "#nodes"))
    node_row = text_of(b, "#nodes tbody tr[data-name=\"node1\"]") or ""
    check("0/2" in node_row or "1/2" in node_row or "2/2" in node_row,
          "the nodes table shows busy/slots", node_row)
    check("n1" in node_row, "the nodes table shows the labels", node_row)

    # A job submitted through the API appears, then finishes, by itself.
    slow = submit(base, a.token, SLOW, name="dash-slow")
    row = JOB_ROW % slow
    check(b.wait_for(f"{row} !== null", timeout=15),
          f"job {slow} appears on the page without a reload", text_of(b, "#jobs"))
    check("dash-slow" in (text_of(b, f"#jobs tbody tr[data-id=\"{slow}\"]") or ""),
          "the queue shows the job's name (submit -J)",
          text_of(b, f"#jobs tbody tr[data-id=\"{slow}\"]"))
    seen = b.wait_for(f"{row} && ['PENDING', 'RUNNING'].includes({row}.dataset.state)"
                      f" && {row}.dataset.state", timeout=10)
    check(seen in ("PENDING", "RUNNING"),
          f"job {slow} shows as {seen or 'nothing'} before it ends")
    done = b.wait_for(f"{row} && {row}.dataset.state === 'COMPLETED'", timeout=60)
    check(done, f"job {slow} shows COMPLETED once it has ended",
          text_of(b, f"#jobs tbody tr[data-id=\"{slow}\"]"))
    b.pump(0.5)
    b.screenshot(os.path.join(a.artefacts, "dashboard.png"))

    # The job's page, through its link.
    hostile = submit(base, a.token, HOSTILE)
    hrow = JOB_ROW % hostile
    b.wait_for(f"{hrow} && {hrow}.dataset.state === 'COMPLETED'", timeout=60)
    status, job = api(base, "GET", f"/v1/jobs/{hostile}", a.token)
    check(status == 200 and job["state"] == "COMPLETED",
          f"job {hostile} (markup in its output) completed", job)
    b.click(f"#jobs tbody tr[data-id=\"{hostile}\"] a")
    check(b.wait_for(visible("#job-body")), "its link opens the job's page",
          b.evaluate("location.href"))
    check(b.evaluate("location.hash") == f"#/jobs/{hostile}",
          "the job's page is #/jobs/ID")
    b.wait_for("document.querySelector('#stdout').textContent !== ''")
    check(text_of(b, "#stdout") == job["stdout"],
          "stdout shows as the text it is", repr(text_of(b, "#stdout")),
          repr(job["stdout"]))
    check(text_of(b, "#stderr") == job["stderr"],
          "stderr shows as the text it is", repr(text_of(b, "#stderr")))
    markup = b.evaluate(
        "document.querySelectorAll('main img, main script, main b, main i,"
        " main svg, main a[href^=\"javascript\"]').length")
    check(markup == 0, "no markup of the job's became an element",
          f"{markup} elements")
    b.pump(1)
    check(b.evaluate("window.__pwned") is None, "the job's markup ran nothing",
          b.evaluate("String(window.__pwned)"))
    check(violations(b) == [], "nor tried to (no CSP violation)",
          *violations(b))
    fields = text_of(b, "#job-fields") or ""
    check("ok" in fields and "python3" in fields and "alpha" in fields
          and "node1" in fields, "the page shows verdict, runtime, tenant, node",
          fields)
    limits = b.evaluate(
        "[...document.querySelectorAll('#job-limits tbody tr')]"
        ".map(r => [...r.cells].map(c => c.textContent))")
    names = [r[0] for r in limits or []]
    check(all(n in names for n in ("CPU time", "Wall time", "Memory",
                                    "Processes", "Disk", "Output"))
          and b.evaluate("document.querySelectorAll('#job-limits meter').length") >= 3,
          "the page shows limits against usage", limits)
    mem = next((r for r in limits or [] if r[0] == "Memory"), ["", "", ""])
    check(mem[1] != "" and mem[2] != "", "memory: used and allowed", mem)

    # /out files: names as text, downloads with the token from a Blob.
    shown = b.evaluate("[...document.querySelectorAll('#files li code')]"
                       ".map(e => e.textContent)")
    want = sorted(f["name"] for f in job["out_files"])
    check(sorted(shown or []) == want and len(want) == 2,
          "the /out files are listed by their names, as text", shown, want)
    b.click("#files button[data-name=\"data.csv\"]")
    got = None
    for _ in range(100):
        p = os.path.join(downloads, "data.csv")
        if os.path.exists(p):
            with open(p, "rb") as f:
                got = f.read()
            if got == b"a,b\n1,2\n":
                break
        time.sleep(0.1)
    check(got == b"a,b\n1,2\n", "a /out file downloads with its bytes",
          repr(got), os.listdir(downloads))
    b.click("#stdout-download")
    p = os.path.join(downloads, f"job-{hostile}.stdout")
    for _ in range(100):
        if os.path.exists(p) and os.path.getsize(p) == len(job["stdout"].encode()):
            break
        time.sleep(0.1)
    check(os.path.exists(p) and open(p, "rb").read() == job["stdout"].encode(),
          "stdout downloads whole", os.listdir(downloads))
    b.screenshot(os.path.join(a.artefacts, "dashboard-job.png"))

    # Another tenant's job: said, not shown.
    other = submit(base, a.other_token, "print('beta')")
    b.navigate(f"{base}/ui/#/jobs/{other}")
    msg = b.wait_for("(() => { const e = document.querySelector('#job-error');"
                     " return !e.hidden && e.textContent; })()")
    check(msg and "another tenant" in msg, "another tenant's job says whose it is",
          repr(msg))

    # A reload keeps the session: the token is typed once.
    b.navigate(f"{base}/ui/")
    check(b.wait_for(visible("#overview")), "a reload keeps the login",
          text_of(b, "body"))

    # A kept token that the daemon refuses takes the user back to the login.
    b.evaluate("sessionStorage.setItem('sluice.token', 'stale-token')")
    b.call("Page.reload")
    msg = b.wait_for("(() => { const e = document.querySelector('#login-error');"
                     " return !e.hidden && e.textContent; })()")
    check(msg and "no longer accepts" in msg and b.evaluate(visible("#login-form")),
          "a refused kept token goes back to the login, saying why", repr(msg))
    check(b.evaluate("sessionStorage.length") == 0, "and is forgotten")

    # Log in again, then out.
    b.type_into("#token", a.token)
    b.click("#login-button")
    b.wait_for(visible("#overview"))

    # A job whose node is lost waits again: its TIME is 0:00, as squeue's
    # for PD, not the time since its first attempt started.  The shell half
    # stops the node when asked (requeue.want holds the job's id) and says
    # when the job waits again (requeue.ready).
    lost = submit(base, a.token, LONG, limits={"wall_seconds": 60})
    lrow = JOB_ROW % lost
    ran = b.wait_for(f"{lrow} && {lrow}.dataset.state === 'RUNNING'", timeout=30)
    b.pump(2.5)  # it has run a while: a TIME from its start is not 0:00
    tm = text_of(b, f"#jobs tbody tr[data-id=\"{lost}\"] td.time")
    check(ran and tm not in (None, "", "0:00"),
          f"job {lost} runs and its TIME counts ({tm})")
    with open(os.path.join(a.workdir, "requeue.want.new"), "w") as f:
        f.write(lost)
    os.rename(os.path.join(a.workdir, "requeue.want.new"),
              os.path.join(a.workdir, "requeue.want"))
    ready = os.path.join(a.workdir, "requeue.ready")
    deadline = time.monotonic() + 90
    while not os.path.exists(ready) and time.monotonic() < deadline:
        b.pump(0.2)
    check(os.path.exists(ready), f"job {lost}'s node is lost and it waits again")
    pend = b.wait_for(f"{lrow} && {lrow}.dataset.state === 'PENDING'", timeout=15)
    b.pump(2.5)  # a refresh or two later, still
    tm = text_of(b, f"#jobs tbody tr[data-id=\"{lost}\"] td.time")
    check(pend and tm == "0:00",
          f"the requeued job shows PENDING with TIME 0:00 ({tm}), as sluice list",
          text_of(b, f"#jobs tbody tr[data-id=\"{lost}\"]"))
    b.screenshot(os.path.join(a.artefacts, "dashboard-requeued.png"))
    b.click("#logout")
    check(b.wait_for(visible("#login-form"))
          and b.evaluate("sessionStorage.length") == 0,
          "logging out forgets the token")

    # What the browser saw all along.
    b.pump(0.5)
    check(violations(b) == [],
          "the page broke none of its Content-Security-Policy",
          *violations(b))
    exc = [e["params"]["exceptionDetails"] for e in b.events
           if e["method"] == "Runtime.exceptionThrown"]
    check(exc == [], "the page threw no exception",
          *[json.dumps(x)[:400] for x in exc])
    reqs = [e["params"]["request"] for e in b.events
            if e["method"] == "Network.requestWillBeSent"]
    leaks = [r["url"] for r in reqs if a.token in r["url"]]
    check(reqs and leaks == [], "no URL the page asked for holds the token",
          leaks)
    api_reqs = [r for r in reqs if "/v1/" in r["url"]]
    bare = [r["url"] for r in api_reqs
            if not (r.get("headers", {}).get("Authorization", "").startswith("Bearer "))]
    check(api_reqs and bare == [],
          "every API request carries the token in its Authorization header",
          bare)


if __name__ == "__main__":
    sys.exit(main())
