"""Builds canvases with Celery's own primitives, applies them, and prints every outcome as one JSON line.

usage: send_canvas.py [--timeout S]
Everything goes to INTEROP_DEFAULT_QUEUE, which the .NET worker under test consumes. Printed keys: chain, chord,
chain_with_chord, link, link_error, map, starmap, chunks; each {"result": ...} or {"error": "<type>: <message>"}.
"""
import argparse
import json
import sys

from celery import chain, chord, group
from celery.result import AsyncResult

from interop_app import add, app, echo, fail, xsum


def outcome(get):
    try:
        return {"result": get()}
    except Exception as error:  # a task failure is an outcome to compare, not a script error
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=30)
    timeout = parser.parse_args().timeout
    results = {}

    results["chain"] = outcome(lambda: chain(add.s(1, 2), add.s(3), add.s(4)).apply_async().get(timeout=timeout))
    results["chord"] = outcome(lambda: chord([add.s(i, i) for i in range(1, 4)], xsum.s()).apply_async().get(timeout=timeout))
    results["chain_with_chord"] = outcome(
        lambda: chain(add.s(1, 1), group(add.s(10), add.s(20)), xsum.s()).apply_async().get(timeout=timeout))

    callback = echo.s()
    callback.freeze()
    add.apply_async((20, 22), link=callback)
    results["link"] = outcome(lambda: AsyncResult(callback.id, app=app).get(timeout=timeout))

    errback = echo.s()
    errback.freeze()
    failed = fail.apply_async(("boom",), link_error=errback)
    results["link_error"] = outcome(lambda: AsyncResult(errback.id, app=app).get(timeout=timeout) == failed.id)

    results["map"] = outcome(lambda: echo.map([1, "two", 3]).apply_async().get(timeout=timeout))
    results["starmap"] = outcome(lambda: add.starmap([(1, 2), (3, 4)]).apply_async().get(timeout=timeout))
    results["chunks"] = outcome(lambda: add.chunks([(1, 1), (2, 2), (3, 3)], 2).apply_async().get(timeout=timeout))

    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
