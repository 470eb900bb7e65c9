#!/bin/bash
# POST /v1/jobs/batch: up to max_batch_jobs submissions in one request,
# each submitted as POST /v1/jobs would submit it; the answer lists, in
# order, each one's status and its job or its error, and one refused item
# does not refuse the others.  A body that is no batch, or too large a
# batch, is refused whole and submits nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 83000 1 2 'max_batch_jobs = 4;'
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

njobs() {
	api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length'
}

B=$(api POST /v1/jobs/batch '{"jobs": [
  {"runtime": "python3", "source": "print(\"first\")"},
  {"runtime": "cobol", "source": "x"},
  "not an object",
  {"runtime": "python3", "source": "print(\"last\")", "stdin": "s"}]}')
tap_is "$(http_status)" 200 "batch: answered 200"
tap_is "$(printf '%s' "$B" | jq -c '[.jobs[].status]')" '[201,422,400,201]' "batch: each item's own status, in order"
tap_is "$(printf '%s' "$B" | jq -r '.jobs[1].field')" runtime "batch: the refused item says why"
tap_like "$(printf '%s' "$B" | jq -r '.jobs[2].error')" . "batch: and so does the malformed one"
A1=$(printf '%s' "$B" | jq -r '.jobs[0].job.id')
A4=$(printf '%s' "$B" | jq -r '.jobs[3].job.id')
tap_like "$A1 $A4" '^[0-9]+ [0-9]+$' "batch: the accepted items are jobs"
tap_is "$(wait_job "$A1" | jq -r '[.state, .stdout] | @tsv')" "COMPLETED	first\n" "batch: the first ran"
tap_is "$(wait_job "$A4" | jq -r '[.state, .stdout] | @tsv')" "COMPLETED	last\n" "batch: the last ran"
tap_is "$(api GET "/v1/jobs/$A1" "" "$TOKEN_B" >/dev/null; http_status)" 403 "batch: the jobs are the submitting tenant's"

# An item may hold what a single submission may: a NUL byte in stdin.
B=$(api POST /v1/jobs/batch '{"jobs": [{"runtime": "python3", "source": "import sys; print(len(sys.stdin.read()))", "stdin": "a\u0000b"}]}')
tap_is "$(http_status) $(printf '%s' "$B" | jq -c '[.jobs[].status]')" '200 [201]' "batch: an item with a NUL in its stdin is taken, as alone"
tap_is "$(wait_job "$(printf '%s' "$B" | jq -r '.jobs[0].job.id')" | jq -r .stdout)" 3 "batch: and gets it"

before=$(njobs)
for body in '' '[]' '{"jobs": []}' '{"jobs": {}}' '{"jobs": [{}], "extra": 1}' 'not json' '{"jobs": [1], "jobs": [2]}'; do
	api POST /v1/jobs/batch "$body" >/dev/null
	tap_is "$(http_status)" 400 "refused whole: '$body'"
done
api POST /v1/jobs/batch '{"jobs": [{"runtime": "python3", "source": "1"}, {"runtime": "python3", "source": "2"}, {"runtime": "python3", "source": "3"}, {"runtime": "python3", "source": "4"}, {"runtime": "python3", "source": "5"}]}' >/dev/null
tap_is "$(http_status)" 413 "refused whole: more than max_batch_jobs"
tap_is "$(njobs)" "$before" "refused whole: nothing was submitted"
api GET /v1/jobs/batch >/dev/null
tap_is "$(http_status)" 405 "GET on the batch is refused"
B=$(api POST /v1/jobs/batch '{"jobs": [{"runtime": "python3", "source": "1"}]}' "nobody")
tap_is "$(http_status)" 401 "a batch needs a token"
tap_is "$(njobs)" "$before" "and submits nothing without one"

tap_done
