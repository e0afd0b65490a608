"""Builds Celery's own monitor state (celery.events.state.State, what Flower uses) from the live event stream.

Usage: event_state.py <seconds> <node> [--until-offline] [task_id ... | -]
With "-" the task ids are read from the first line of stdin (sent once the tasks exist). Listens on the celeryev
exchange until every given task is in a final state (SUCCESS, FAILURE, REVOKED, REJECTED) and the worker <node> has
sent at least two heartbeats (with --until-offline: has sent worker-offline instead), or until <seconds> pass; prints
"ready" on stderr once it listens, then one JSON line: the workers and the tasks as State reconstructed them, each
with the event types seen for it in arrival order.
"""
import json
import sys
import threading
import time

from celery.events.state import State

from interop_app import app

READY = {"SUCCESS", "FAILURE", "REVOKED", "REJECTED"}


def main():
    seconds = float(sys.argv[1])
    node = sys.argv[2]
    wanted = sys.argv[3:]
    until_offline = "--until-offline" in wanted
    wanted = [w for w in wanted if w != "--until-offline"]
    from_stdin = wanted == ["-"]
    if from_stdin:
        wanted = None

        def read_ids():
            nonlocal wanted
            wanted = sys.stdin.readline().split()

        threading.Thread(target=read_ids, daemon=True).start()
    state = State()
    heartbeats = {}
    worker_types = {}
    task_types = {}
    deadline = time.monotonic() + seconds

    def on_event(event):
        state.event(event)
        if event["type"].startswith("task-"):
            task_types.setdefault(event["uuid"], []).append(event["type"])
        else:
            worker_types.setdefault(event["hostname"], []).append(event["type"])
        if event["type"] == "worker-heartbeat":
            heartbeats[event["hostname"]] = heartbeats.get(event["hostname"], 0) + 1

    def done():
        if wanted is None:
            return False
        tasks_ready = all(t in state.tasks and state.tasks[t].state in READY for t in wanted)
        if until_offline:
            return tasks_ready and "worker-offline" in worker_types.get(node, [])
        return tasks_ready and heartbeats.get(node, 0) >= 2

    with app.connection() as connection:
        receiver = app.events.Receiver(connection, handlers={"*": on_event})
        # The receiver's own queue (celeryev.<uuid>) and message handling (batches split), drained here with a deadline.
        consumer = connection.Consumer(queues=[receiver.queue], callbacks=[receiver._receive], no_ack=True, accept=receiver.accept)
        with consumer:
            print("ready", file=sys.stderr, flush=True)
            while time.monotonic() < deadline and not done():
                try:
                    connection.drain_events(timeout=0.5)
                except Exception:  # socket.timeout and friends: check the deadline again
                    pass

    workers = {
        name: {
            "alive": worker.alive,
            "heartbeats": heartbeats.get(name, 0),
            "processed": worker.processed,
            "active": worker.active,
            "freq": worker.freq,
            "loadavg": worker.loadavg,
            "sw_ident": worker.sw_ident,
            "sw_ver": worker.sw_ver,
            "sw_sys": worker.sw_sys,
            "types": worker_types.get(name, []),
        }
        for name, worker in state.workers.items()
    }
    tasks = {
        task_id: {
            "state": task.state,
            "name": task.name,
            "args": task.args,
            "kwargs": task.kwargs,
            "result": task.result,
            "runtime": task.runtime,
            "worker": task.worker.hostname if task.worker else None,
            "exception": task.exception,
            "traceback": task.traceback,
            "received": task.received,
            "started": task.started,
            "sent": task.sent,
            "retries": task.retries,
            "terminated": getattr(task, "terminated", None),
            "types": task_types.get(task_id, []),
        }
        for task_id, task in state.tasks.items()
    }
    print(json.dumps({"workers": workers, "tasks": tasks}, default=str), flush=True)


if __name__ == "__main__":
    main()
