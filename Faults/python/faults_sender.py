"""Sends tasks the way a Python Celery 5.2 client does, with ids chosen by the caller, for the fault suite.

usage: faults_sender.py BROKER_URL QUEUE TASK ARGS_JSON IDS_FILE [--countdown S]
IDS_FILE holds one task id a line; one task is sent per id. Prints {"sent": N} when done. Results are not awaited:
the suite reads them from Redis itself, so no result backend is configured here.
"""
import argparse
import json
import sys

from celery import Celery


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("broker_url")
    parser.add_argument("queue")
    parser.add_argument("task")
    parser.add_argument("args")
    parser.add_argument("ids_file")
    parser.add_argument("--countdown", type=float)
    options = parser.parse_args()

    app = Celery("faults", broker=options.broker_url)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
    args = json.loads(options.args)
    with open(options.ids_file, encoding="ascii") as ids:
        task_ids = [line.strip() for line in ids if line.strip()]

    # One producer (one channel) for every send, as a busy Celery client publishes.
    with app.producer_or_acquire() as producer:
        for task_id in task_ids:
            app.send_task(options.task, args=args, queue=options.queue, task_id=task_id,
                          countdown=options.countdown, producer=producer)
    print(json.dumps({"sent": len(task_ids)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
