#!/usr/bin/env bash
# Runs every test: installs RabbitMQ, Redis and Debian's Celery where missing, builds, runs the one test project, and
# ends with a line 'N passed, N failed'. Exits non-zero when the build or any test fails. Extra arguments go to the
# test platform (e.g. --filter-class '*Engine*').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh --tests

log=$(mktemp)
export ONBOARDING_HUNG_TESTS_LOG
ONBOARDING_HUNG_TESTS_LOG=$(mktemp)
trap 'rm -f "$log" "$ONBOARDING_HUNG_TESTS_LOG"' EXIT
status=0
# The whole suite takes ~10 minutes; --timeout ends a run that hangs (CI allows 90 minutes for everything) so that the
# tests still running are named below instead of the job being killed without a word.
dotnet test --project Tests/Tests.csproj --timeout 60m "$@" 2>&1 | tee "$log" || status=$?
if [[ -s "$ONBOARDING_HUNG_TESTS_LOG" ]]; then
    echo "Tests that ran for more than 5 minutes:"
    cat "$ONBOARDING_HUNG_TESTS_LOG"
fi

# Microsoft.Testing.Platform's summary: "total: N", "failed: N", "succeeded: N", "skipped: N".
total=$(sed -n 's/^ *total: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *failed: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
passed=$(sed -n 's/^ *succeeded: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
skipped=$(sed -n 's/^ *skipped: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
if [[ -z "$total" || -z "$failed" || -z "$passed" ]]; then
    echo "No test summary: the build or the test host failed before tests ran (exit $status)." >&2
    exit $((status == 0 ? 1 : status))
fi
if ((failed > 0)); then
    # The test platform prints each failure where it happens, among thousands of log lines; name them again here so the
    # end of the output says which tests failed.
    echo "Failed tests:"
    sed -n 's/^ *failed \(.*\)$/  \1/p' "$log"
fi
echo "${passed} passed, ${failed} failed, ${skipped:-0} skipped"
if ((failed > 0 || status != 0)); then
    exit $((status == 0 ? 1 : status))
fi
