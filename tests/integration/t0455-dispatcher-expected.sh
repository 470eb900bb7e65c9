#!/bin/bash
# Expected output: a job submitted with expected_output reports, beside its
# state and verdict, judgement "accepted" when its stdout is that output
# (trailing whitespace not compared, unless compare is "exact") and
# "wrong_answer" when not; null when none was asked for or the program did
# not end ok.  Bad values are refused and submit nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dispatcher.sh"

disp_setup 83100 1 2
disp_start_nodes
disp_serve || { tap_ok 1 "daemon starts"; tap_done; exit 1; }
disp_wait_nodes UP 20
tap_ok $? "the node comes UP"

# judge CODE EXTRA_JSON: submit, wait, print "state verdict judgement".
judge() {
	local id
	id=$(submit_py "$1" "$2")
	wait_job "$id" | jq -r '[.state, .verdict, (.judgement // "null")] | join(" ")'
}

tap_is "$(judge 'print(6 * 7)' '{"expected_output": "42\n"}')" "COMPLETED ok accepted" "right output: accepted"
tap_is "$(judge 'print(6 * 7)' '{"expected_output": "41\n"}')" "COMPLETED ok wrong_answer" "wrong output: wrong_answer"
tap_is "$(judge 'print("1 2 "); print("3\r"); print()' '{"expected_output": "1 2\n3"}')" "COMPLETED ok accepted" "trailing whitespace and empty lines are not compared"
tap_is "$(judge 'print(" 42")' '{"expected_output": "42\n"}')" "COMPLETED ok wrong_answer" "leading whitespace is"
tap_is "$(judge 'print(42)' '{"expected_output": "42", "compare": "exact"}')" "COMPLETED ok wrong_answer" "exact: the newline counts"
tap_is "$(judge 'import sys; sys.stdout.write("42")' '{"expected_output": "42", "compare": "exact"}')" "COMPLETED ok accepted" "exact: byte for byte"
tap_is "$(judge 'import sys; sys.stdout.buffer.write(bytes([0, 255]))' '{"expected_output_base64": "AP8=", "compare": "exact"}')" "COMPLETED ok accepted" "base64: any bytes"
tap_is "$(judge 'print(42); raise SystemExit(3)' '{"expected_output": "42\n"}')" "FAILED exited null" "a program that failed has no judgement: its verdict says why"
tap_is "$(judge 'print(42)' '{}')" "COMPLETED ok null" "no expected output: no judgement"
tap_is "$(judge 'print(input())' '{"stdin": "echo\n", "expected_output": "echo"}')" "COMPLETED ok accepted" "with stdin"

before=$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')
for extra in '{"expected_output": 42}' '{"compare": "exact"}' \
	'{"expected_output": "x", "compare": "fuzzy"}' \
	'{"expected_output": "x", "compare": "exact\u0000x"}' \
	'{"expected_output": "x", "expected_output_base64": "eA=="}' \
	'{"expected_output_base64": "not base64!"}'; do
	submit_py 'print(1)' "$extra" >/dev/null
	tap_like "$(http_status)" '^4(00|22)$' "refused: $extra"
done
head -c 9000000 /dev/zero | tr '\0' x >"$T/big"
jq -cn --rawfile x "$T/big" '{runtime: "python3", source: "print(1)", expected_output: $x}' >"$T/big.json"
tap_is "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_A" \
	-H 'Content-Type: application/json' --data-binary @"$T/big.json" "$DISP_URL/v1/jobs")" 413 \
	"refused: an expected output over max_file_bytes"
tap_is "$(api GET "/v1/jobs?limit=1000" "" "$TOKEN_ADMIN" | jq '.jobs | length')" "$before" "refused: nothing was submitted"

tap_done
