"""W4 and W5 on real Celery, against the broker and Redis the .NET workloads just used, in the same run.

Run by Benchmarks/CeleryReference.cs with Debian's python3-celery:

    python3 celery_reference.py AMQP_URI REDIS_CONFIGURATION QUEUE W4_RUNS W5_SIZE W5_RUNS

REDIS_CONFIGURATION is StackExchange.Redis's "host:port,password=...", as the .NET side has it.

It starts `celery worker` on QUEUE as a child with Celery's defaults (prefork pool, one process per core, prefetch
multiplier 4, acks on receipt, no publisher confirms), measures as the .NET workloads do, stops the worker, and
prints one JSON object on stdout. Progress goes to stderr.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import celery
from celery import Celery, chain, chord

app = Celery("celery_reference")
app.conf.update(
    broker_url=os.environ.get("BENCH_BROKER_URL"),
    result_backend=os.environ.get("BENCH_RESULT_BACKEND"),
    task_default_queue=os.environ.get("BENCH_QUEUE", "celery"),
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="bench.noop")
def noop():
    return None


def percentile(samples, p):
    """Nearest rank, as Workloads.Percentiles."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1))]


def redis_url(configuration):
    """StackExchange.Redis's "host:port,password=..." as redis-py's redis://:password@host:port/0."""
    endpoint, *options = [part.strip() for part in configuration.split(",") if part.strip()]
    password = next((value for key, _, value in (o.partition("=") for o in options) if key.lower() == "password"), None)
    return f"redis://:{quote(password, safe='')}@{endpoint}/0" if password else f"redis://{endpoint}/0"


def timed_ms(apply):
    started = time.perf_counter()
    apply()
    return (time.perf_counter() - started) * 1000


def main():
    broker, redis_configuration, queue, w4_runs, w5_size, w5_runs = sys.argv[1:7]
    backend = redis_url(redis_configuration)
    w4_runs, w5_size, w5_runs = int(w4_runs), int(w5_size), int(w5_runs)
    environment = dict(os.environ, BENCH_BROKER_URL=broker, BENCH_RESULT_BACKEND=backend, BENCH_QUEUE=queue)
    app.conf.update(broker_url=broker, result_backend=backend, task_default_queue=queue)

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--quiet", "-A", "celery_reference", "worker", "-Q", queue, "--loglevel", "WARNING",
         "-n", f"bench-{uuid.uuid4().hex[:8]}@localhost", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=os.path.dirname(os.path.abspath(__file__)), env=environment, stdout=sys.stderr, stderr=sys.stderr)
    try:
        # The first task waits for the worker to start consuming.
        noop.si().apply_async().get(timeout=120)

        link = chain(noop.si(), noop.si(), noop.si(), noop.si())
        for _ in range(max(10, w4_runs // 5)):
            link.apply_async().get(timeout=60)
        w4 = [timed_ms(lambda: link.apply_async().get(timeout=60)) for _ in range(w4_runs)]
        print(f"  Celery W4: p50 {percentile(w4, 0.5):.2f} ms over {w4_runs}", file=sys.stderr)

        def run_chord():
            chord([noop.si() for _ in range(w5_size)])(noop.si()).get(timeout=300)

        run_chord()
        w5 = [timed_ms(run_chord) for _ in range(w5_runs)]
        print(f"  Celery W5: median {percentile(w5, 0.5):.0f} ms over {w5_runs} runs of {w5_size}", file=sys.stderr)

        concurrency = os.cpu_count()
        print(json.dumps({
            "celery": celery.__version__,
            "pool": f"prefork, {concurrency} processes",
            "w4": {"p50Ms": percentile(w4, 0.5), "p95Ms": percentile(w4, 0.95), "p99Ms": percentile(w4, 0.99), "runs": w4_runs},
            "w5": {"medianMs": percentile(w5, 0.5), "minMs": min(w5), "maxMs": max(w5), "size": w5_size, "runs": w5_runs},
        }))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    main()
