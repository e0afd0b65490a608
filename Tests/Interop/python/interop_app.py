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
