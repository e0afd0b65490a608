#!/usr/bin/env bash
# Runs the fault suite: installs RabbitMQ, Redis and Debian's Celery where missing, builds Faults and Workers in
# Release, starts private servers through the AppHost (the machine's rabbitmq-server and redis-server on free loopback
# ports, fresh data, Redis with its append-only file), runs each scenario against real Workers processes with a Python
# Celery client as the sender, and prints one markdown table (progress on stderr). Exits 1 when any scenario lost a
# task, failed one wrongly, sent a chord callback twice, saw a worker exit by itself or had a publisher's send hang.
#   --quick            smaller counts and shorter outages (what the test suite runs)
#   --only ID[,ID...]  kill, broker-stop, broker-stop-long, redis-stop, redis-stop-long, chord-kill, chord-redis,
#                      malformed, countdown, start-no-redis, start-no-broker, cluster-node-loss, cluster-chord,
#                      cluster-publish
# Bounded: the run is stopped after ONBOARDING_FAULTS_TIMEOUT seconds (default 40 minutes, 15 with --quick).
# Ctrl+C, a timeout or a failure stops every worker and server the run started.
set -euo pipefail
cd "$(dirname "$0")/.."
# The scenarios need the servers as local processes (rabbitmqctl stop_app/start_app, Redis stopped and started).
export Infrastructure__Mode=executables
scripts/install-prerequisites.sh --celery

dotnet build Faults/Faults.csproj --configuration Release --nologo --verbosity quiet >&2
dotnet build Workers/Workers.csproj --configuration Release --nologo --verbosity quiet >&2

limit=${ONBOARDING_FAULTS_TIMEOUT:-2400}
[[ " $* " == *" --quick "* ]] && limit=${ONBOARDING_FAULTS_TIMEOUT:-900}

# Its own session, so that a stop reaches the whole tree (the workers are its children; the orchestrator it starts
# stops the servers when it goes). timeout sends SIGINT at the limit (the suite then stops what it started), SIGKILL
# 90 s later, and passes on a SIGINT it receives.
setsid timeout --signal=INT --kill-after=90 "$limit" dotnet Faults/bin/Release/net10.0/Faults.dll "$@" &
suite=$!

stop() {
    trap - EXIT INT TERM
    if kill -0 "$suite" 2>/dev/null; then
        kill -INT "$suite" 2>/dev/null || true
        for _ in $(seq 1 90); do
            kill -0 "$suite" 2>/dev/null || break
            sleep 1
        done
        kill -KILL -- "-$suite" 2>/dev/null || true
    fi
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

status=0
wait "$suite" || status=$?
if ((status == 124)); then
    echo "faults.sh: stopped after ${limit} s (ONBOARDING_FAULTS_TIMEOUT)" >&2
fi
exit "$status"
