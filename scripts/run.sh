#!/usr/bin/env bash
# Runs the whole application with the Aspire dashboard: installs RabbitMQ and Redis first where no container runtime
# answers, then `dotnet run --project AppHost`. Extra arguments go to the AppHost.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
exec dotnet run --project AppHost "$@"
