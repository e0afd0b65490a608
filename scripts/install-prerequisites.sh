#!/usr/bin/env bash
# Installs what the application and its tests need beyond the .NET SDK, and nothing that is already there:
#  - RabbitMQ and Redis servers from the OS packages, unless a container runtime answers (then the AppHost uses the
#    stock containers instead);
#  - jq, which the README's walk-through uses to read the services' JSON answers into shell variables;
#  - with --tests (or --celery), Debian's python3-celery, which the interop tests run as real Celery clients and
#    workers and the benchmarks as the Celery reference, and Debian's chromium, which the operations console's
#    browser tests drive through Playwright (Playwright never downloads a browser here).
# Safe to run again: each step is skipped when its result is present.
set -euo pipefail

want_celery=false
for argument in "$@"; do
    case "$argument" in
        --tests | --celery) want_celery=true ;;
        *) echo "usage: $0 [--tests | --celery]" >&2; exit 2 ;;
    esac
done

if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required: https://dot.net/download (or 'sudo apt-get install -y dotnet-sdk-10.0')." >&2
    exit 1
fi

container_runtime_answers() {
    local runtime="${ASPIRE_CONTAINER_RUNTIME:-docker}"
    command -v "$runtime" >/dev/null 2>&1 && timeout 10 "$runtime" info >/dev/null 2>&1
}

packages=()
if [[ "${Infrastructure__Mode:-auto}" != "containers" ]] && { [[ "${Infrastructure__Mode:-auto}" == "executables" ]] || ! container_runtime_answers; }; then
    [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || packages+=(rabbitmq-server)
    command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
fi
command -v jq >/dev/null 2>&1 || packages+=(jq)
if $want_celery && ! /usr/bin/python3 -c 'import celery, redis' >/dev/null 2>&1; then
    packages+=(python3-celery python3-redis)
fi
if $want_celery && ! command -v chromium >/dev/null 2>&1; then
    packages+=(chromium)
fi

if ((${#packages[@]} > 0)); then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "Missing ${packages[*]}, and this is not a Debian or Ubuntu machine: install them, or start Docker." >&2
        exit 1
    fi
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "Installing ${packages[*]} ..."
    "${sudo[@]}" apt-get update -qq
    # The packages' own services are not needed (the AppHost runs private servers on free ports); keep them from
    # starting where policy-rc.d is honoured.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
