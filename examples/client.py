#!/usr/bin/env python3
"""Run a Python snippet on sluice and print the result: a web app's view.

This is the code a web application needs in order to run its users'
snippets on sluice, written with the standard library alone (urllib), and
usable as a command:

    SLUICE_SERVER=http://127.0.0.1:8750 SLUICE_TOKEN=... python3 client.py [FILE | -]

It submits FILE (or standard input, or a small built-in snippet), follows
the job with the long poll, and prints its state, verdict and output.
Exit status: 0 if the job COMPLETED, 1 if it ended otherwise, 2 if sluice
could not be asked (unreachable, token refused, request refused).

How a web application would use it
----------------------------------
* The browser never talks to sluice and never sees the token: the token
  (SLUICE_TOKEN) stays on the server, one token per application, since
  the token's name is the tenant that quotas and fairness apply to.
* When a user presses "Run", the request handler calls
  ``client.submit(source)`` and keeps the job id with the user's session
  (or in its own table); it answers the browser at once.  Submitting is
  quick; never keep a web worker blocked until the job ends.
* The page then asks the app for the result; the app calls
  ``client.wait(job_id, timeout_seconds=20)``, which answers as soon as
  the job has ended or after at most 20 seconds with the job as it is
  then, so one page request never holds a worker for long.  (A task
  queue can instead call ``client.run(source)``, which does both.)
* Show ``stdout`` and ``stderr`` as text, escaped: they are whatever the
  user's program printed.  ``verdict`` says in one word why it stopped
  (``describe()`` below turns it into a sentence); ``exit_code``,
  ``cpu_seconds``, ``wall_seconds`` and ``memory_peak_bytes`` are there
  too.
* ``Busy`` (HTTP 429, a full quota, or 503, sluice restarting) means
  "later": ``submit`` retries a few times after ``Retry-After`` seconds;
  past that, tell the user to try again.  ``SluiceError`` with
  ``status`` 400/413/422 is the submission's fault (``field`` names the
  culprit): show it.  Anything else is an outage: log it.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

FINAL_STATES = {"COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY",
                "CANCELLED", "NODE_FAIL"}

VERDICTS = {
    "ok": "the program finished normally",
    "exited": "the program exited with an error",
    "signaled": "the program was killed by a signal",
    "cpu_limit": "the program used up its CPU time",
    "wall_limit": "the program ran out of time",
    "memory_limit": "the program ran out of memory",
    "output_limit": "the program printed too much",
    "cancelled": "the run was cancelled",
    "sandbox_error": "the run could not start (not the program's fault)",
}

SNIPPET = """\
import sys
print("hello from sluice, Python", sys.version.split()[0])
print("sum of squares below 10:", sum(i * i for i in range(10)))
"""


class SluiceError(Exception):
    """sluice refused a request, or could not be reached (status 0)."""

    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def __str__(self):
        where = " (field %s)" % self.field if self.field else ""
        if self.status == 0:
            return self.message
        return "HTTP %d: %s%s" % (self.status, self.message, where)


class Busy(SluiceError):
    """429 or 503: try again after retry_after seconds."""

    def __init__(self, status, message, retry_after):
        super().__init__(status, message)
        self.retry_after = retry_after


class Client:
    """A client of the sluice HTTP API (docs/api.md)."""

    def __init__(self, server=None, token=None, http_timeout=60.0):
        self.server = (server or os.environ.get("SLUICE_SERVER")
                       or "http://127.0.0.1:8750").rstrip("/")
        self.token = token if token is not None else os.environ.get(
            "SLUICE_TOKEN", "")
        self.http_timeout = http_timeout

    def _request(self, method, path, body=None, timeout=None):
        """One request; the decoded JSON answer, or an exception."""
        data = None
        headers = {"Authorization": "Bearer " + self.token,
                   "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.server + path, data=data,
                                     headers=headers, method=method)
        try:
            with urllib.request.urlopen(
                    req, timeout=timeout or self.http_timeout) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            try:
                doc = json.loads(e.read().decode("utf-8", "replace"))
            except ValueError:
                doc = {}
            if not isinstance(doc, dict):
                doc = {}
            message = doc.get("error") or e.reason or "error"
            if e.code in (429, 503):
                try:
                    retry = float(e.headers.get("Retry-After", "5"))
                except ValueError:
                    retry = 5.0
                raise Busy(e.code, message, retry) from None
            raise SluiceError(e.code, message, doc.get("field")) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise SluiceError(0, "cannot reach %s: %s" %
                              (self.server, reason)) from None
        except ValueError:
            raise SluiceError(0, "%s answered something that is not JSON"
                              % self.server) from None

    def submit(self, source, runtime="python3", stdin=None, limits=None,
               retries=3):
        """Submit a snippet; the new job object.  Retries when busy."""
        body = {"runtime": runtime, "source": source}
        if stdin is not None:
            body["stdin"] = stdin
        if limits:
            body["limits"] = limits
        for attempt in range(retries + 1):
            try:
                return self._request("POST", "/v1/jobs", body)
            except Busy as e:
                if attempt == retries:
                    raise
                time.sleep(min(max(e.retry_after, 0.5), 60.0))
        raise AssertionError("not reached")

    def get(self, job_id):
        """The job object now."""
        return self._request("GET", "/v1/jobs/%s" % job_id)

    def wait(self, job_id, timeout_seconds=30):
        """The job once it has ended, or as it is after timeout_seconds."""
        return self._request(
            "GET", "/v1/jobs/%s/wait?timeout_seconds=%g" %
            (job_id, timeout_seconds),
            timeout=timeout_seconds + self.http_timeout)

    def wait_final(self, job_id, deadline_seconds=600, poll_seconds=30):
        """Long-poll until the job has ended (or the deadline passes)."""
        end = time.monotonic() + deadline_seconds
        while True:
            left = end - time.monotonic()
            job = self.wait(job_id, max(0, min(poll_seconds, left)))
            if job.get("state") in FINAL_STATES or left <= 0:
                return job

    def cancel(self, job_id):
        """Ask sluice to stop the job."""
        return self._request("DELETE", "/v1/jobs/%s" % job_id)

    def run(self, source, **kwargs):
        """Submit and wait: the job object once it has ended."""
        job = self.submit(source, **kwargs)
        return self.wait_final(job["id"])


def describe(job):
    """One sentence for a user about how the job ended."""
    state, verdict = job.get("state"), job.get("verdict")
    if verdict in VERDICTS:
        text = VERDICTS[verdict]
    elif state == "NODE_FAIL":
        text = "the machine running the program was lost"
    elif state == "CANCELLED":
        text = "the run was cancelled"
    elif state in FINAL_STATES:
        text = "the run failed: %s" % (job.get("reason") or state)
    else:
        text = "still %s" % (state or "unknown").lower()
    if verdict == "exited" and job.get("exit_code") is not None:
        text += " (exit code %d)" % job["exit_code"]
    if verdict == "signaled" and job.get("signal") is not None:
        text += " (signal %d)" % job["signal"]
    return text


def show(job, out=sys.stdout):
    """Print a job's result the way a results page would show it."""
    out.write("job %s: %s, verdict %s\n" %
              (job.get("id"), job.get("state"), job.get("verdict")))
    out.write("%s.\n" % describe(job).capitalize())
    if job.get("wall_seconds") is not None:
        out.write("exit code %s, cpu %.3f s, wall %.3f s, memory %.1f MiB, "
                  "node %s\n" % (
                      job.get("exit_code"), job.get("cpu_seconds") or 0,
                      job.get("wall_seconds") or 0,
                      (job.get("memory_peak_bytes") or 0) / 1048576.0,
                      job.get("node")))
    for stream in ("stdout", "stderr"):
        text = job.get(stream)
        if text:
            more = " (truncated)" if job.get(stream + "_truncated") else ""
            out.write("--- %s%s ---\n%s" % (stream, more, text))
            if not text.endswith("\n"):
                out.write("\n")


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        sys.stderr.write("usage: client.py [FILE | -]  "
                         "(with SLUICE_SERVER and SLUICE_TOKEN set)\n")
        return 2
    if len(argv) == 2 and argv[1] == "-":
        source = sys.stdin.read()
    elif len(argv) == 2:
        with open(argv[1], encoding="utf-8") as f:
            source = f.read()
    else:
        source = SNIPPET
    client = Client()
    if not client.token:
        sys.stderr.write("client.py: set SLUICE_TOKEN to an API token\n")
        return 2
    try:
        job = client.submit(source)
        sys.stderr.write("submitted job %s\n" % job["id"])
        job = client.wait_final(job["id"])
    except Busy as e:
        sys.stderr.write("client.py: sluice is busy, try again in %g s: %s\n"
                         % (e.retry_after, e.message))
        return 2
    except SluiceError as e:
        sys.stderr.write("client.py: %s\n" % e)
        return 2
    show(job)
    return 0 if job.get("state") == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
