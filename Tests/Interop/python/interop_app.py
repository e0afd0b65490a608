"""A Celery 5.2 application for the interop tests: the broker and result backend our engine uses.

Configured from the environment so the .NET tests can point it at the servers the AppHost started:
INTEROP_BROKER_URL (amqp://...), INTEROP_RESULT_BACKEND (redis://...).
"""
import os
import time

from celery import Celery
from celery.exceptions import Reject

app = Celery("interop")
app.conf.update(
    broker_url=os.environ["INTEROP_BROKER_URL"],
    result_backend=os.environ["INTEROP_RESULT_BACKEND"],
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_default_queue=os.environ.get("INTEROP_DEFAULT_QUEUE", "default"),
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
)

# Quorum queues (the engine's TaskEngine:QueueType=quorum): every queue this client sends to is listed with the
# arguments the engine declares it with, so that Celery's own declaration before its first publish matches the
# queue (RabbitMQ refuses a declaration whose arguments differ, one left out included), and no queue that is not
# listed is created as a classic one. INTEROP_QUORUM_QUEUES=a,b; INTEROP_DEAD_LETTER_QUEUE and INTEROP_DELIVERY_LIMIT
# as the engine's TaskEngine:DeadLetterQueue and TaskEngine:DeliveryLimit.
if os.environ.get("INTEROP_QUORUM_QUEUES"):
    from kombu import Queue

    quorum_arguments = {
        "x-queue-type": "quorum",
        "x-delivery-limit": int(os.environ.get("INTEROP_DELIVERY_LIMIT", "20")),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": os.environ.get("INTEROP_DEAD_LETTER_QUEUE", "onboarding.dead_letter"),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    quorum_queues = os.environ["INTEROP_QUORUM_QUEUES"].split(",")
    app.conf.update(
        task_queues=[Queue(name, routing_key=name, queue_arguments=quorum_arguments) for name in quorum_queues],
        task_default_queue=quorum_queues[0],
        task_create_missing_queues=False,
    )


@app.task(name="diagnostics.ping")
def ping():
    return "pong"


@app.task(name="diagnostics.add")
def add(x, y):
    return x + y


@app.task(name="diagnostics.echo")
def echo(value):
    return value


@app.task(name="diagnostics.xsum")
def xsum(numbers):
    return sum(numbers)


@app.task(name="diagnostics.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="diagnostics.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="interop.flaky", bind=True, max_retries=5)
def flaky(self, succeed_on_attempt):
    """Fails until its retry count reaches succeed_on_attempt, retrying with a short countdown."""
    if self.request.retries < succeed_on_attempt:
        raise self.retry(exc=RuntimeError(f"attempt {self.request.retries}"), countdown=1)
    return {"retries": self.request.retries}


@app.task(name="interop.reject")
def reject():
    raise Reject("rejected on purpose", requeue=False)
