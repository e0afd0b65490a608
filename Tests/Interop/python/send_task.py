"""Sends one task the way a Python Celery client does and prints its outcome as one JSON line.

usage: send_task.py TASK ARGS_JSON [--kwargs JSON] [--queue Q] [--countdown S] [--timeout S] [--no-wait]
"""
import argparse
import json
import sys

from interop_app import app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("task")
    parser.add_argument("args")
    parser.add_argument("--kwargs", default="{}")
    parser.add_argument("--queue")
    parser.add_argument("--countdown", type=float)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--no-wait", action="store_true")
    options = parser.parse_args()

    result = app.send_task(
        options.task,
        args=json.loads(options.args),
        kwargs=json.loads(options.kwargs),
        queue=options.queue,
        countdown=options.countdown,
    )
    if options.no_wait:
        print(json.dumps({"id": result.id}))
        return 0
    try:
        value = result.get(timeout=options.timeout)
        date_done = result.date_done
        print(json.dumps({
            "id": result.id,
            "status": result.status,
            "result": value,
            "date_done": date_done.isoformat() if hasattr(date_done, "isoformat") else date_done,
        }))
    except Exception as error:  # the re-raised task failure is what the test checks
        print(json.dumps({
            "id": result.id,
            "status": result.status,
            "exc_type": type(error).__name__,
            "exc_message": str(error),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
