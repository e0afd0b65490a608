#!/usr/bin/env bash
# Runs the benchmarks: installs RabbitMQ and Redis where missing, builds Release, starts the servers through the
# AppHost (Infrastructure:Only=true) unless ONBOARDING_BENCH_RABBITMQ and ONBOARDING_BENCH_REDIS name running ones,
# runs the workloads and prints a markdown table. Arguments go to the benchmark program:
#   --quick                  10x smaller counts (CI smoke, development)
#   --only W1,W1E,W2,W3,W4,W5,W1Q,W2Q,W4Q,W5Q,W1QC,W2QC,W4QC,W5QC,C1,CELERY,RSS,PROFILE   (W1E: W1 with Celery task
#          events on; W…Q: W1, W2, W4, W5 on quorum queues (TaskEngine:QueueType=quorum), one node; W…QC: the same on
#          a three-node cluster (Infrastructure:RabbitMQNodes=3), started for those rows only, or the nodes named by
#          ONBOARDING_BENCH_RABBITMQ_CLUSTER; C1: the operations console with 100,000 tasks
#          indexed; CELERY: W4 and W5 on real Celery, same broker and Redis)
#   --json out.json          the results as JSON as well
#   --concurrency N --publishers N --iterations N
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's python3-celery too: the CELERY workload runs W4 and W5 on real Celery beside ours.
scripts/install-prerequisites.sh --celery

# Workers too: the memory workload runs the real worker host as a child process.
dotnet build Benchmarks/Benchmarks.csproj --configuration Release --nologo --verbosity quiet >&2
dotnet build Workers/Workers.csproj --configuration Release --nologo --verbosity quiet >&2
# And the console: C1 runs it as a child process.
dotnet build Console/Console.csproj --configuration Release --nologo --verbosity quiet >&2
# The worker's runtime settings (AppHost.cs gives the Workers resources the same): the engine runs in this process.
export DOTNET_TC_CallCountingDelayMs=0
# Progress goes to stderr, the table to stdout.
exec dotnet Benchmarks/bin/Release/net10.0/Benchmarks.dll "$@"
