"""Sends tasks the way a Python Celery 5.2 client does, with ids chosen by the caller, for the fault suite.

usage: faults_sender.py BROKER_URL QUEUE TASK ARGS_JSON IDS_FILE [--countdown S] [--existing-queue] [--confirm]
BROKER_URL may list several nodes of a cluster separated by ';' (Celery's failover form). --existing-queue publishes
to the queue through the default exchange without declaring it: the engine has declared it, as a quorum queue with
arguments a Celery 5.2 declaration would not match. --confirm waits for the broker's confirm of each publish
(py-amqp's confirm_publish), as a client that must not lose sends across the loss of a cluster node has to.
IDS_FILE holds one task id a line; one task is sent per id. Prints {"sent": N} when done. Results are not awaited:
the suite reads them from Redis itself, so no result backend is configured here.
"""
import argparse
import json
import sys

from celery import Celery
from kombu import Exchange, Queue


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("broker_url")
    parser.add_argument("queue")
    parser.add_argument("task")
    parser.add_argument("args")
    parser.add_argument("ids_file")
    parser.add_argument("--countdown", type=float)
    parser.add_argument("--existing-queue", action="store_true")
    parser.add_argument("--confirm", action="store_true")
    options = parser.parse_args()

    app = Celery("faults", broker=options.broker_url)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
    if options.confirm:
        # Without confirms a publish in flight to a queue whose leader node dies is lost without a word.
        app.conf.broker_transport_options = {"confirm_publish": True}
    if options.existing_queue:
        app.conf.task_queues = [Queue(options.queue, Exchange(""), routing_key=options.queue, no_declare=True)]
    args = json.loads(options.args)
    with open(options.ids_file, encoding="ascii") as ids:
        task_ids = [line.strip() for line in ids if line.strip()]

    # One producer (one channel) for every send, as a busy Celery client publishes.
    with app.producer_or_acquire() as producer:
        for task_id in task_ids:
            app.send_task(options.task, args=args, queue=options.queue, task_id=task_id,
                          countdown=options.countdown, producer=producer)
    # Close the connection cleanly: the broker answers connection.close only after handling every publish sent before
    # it. Without confirms, a process that just exits can reset the socket while the broker has not read the last
    # publishes yet, and the broker then drops them: a loss of the sender's, not of the fleet's.
    app.pool.force_close_all()
    print(json.dumps({"sent": len(task_ids)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
