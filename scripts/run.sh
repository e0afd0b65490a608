#!/usr/bin/env bash
# Runs the whole application with the Aspire dashboard: installs RabbitMQ and Redis first where no container runtime
# answers, builds, then `dotnet run --project AppHost`. Extra arguments go to the AppHost.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
# Built here rather than inside `dotnet run`, which stays silent for the whole build (about 85 s on a fresh 2-core
# machine): the build shows each project as it finishes.
echo "Building the application (the first run takes about a minute and a half; later runs a few seconds)…" >&2
dotnet build AppHost/AppHost.csproj --nologo -verbosity:minimal
echo "Starting the AppHost: the dashboard's login link follows." >&2
exec dotnet run --no-build --project AppHost "$@"
