"""Prints the stored state of one task as Python's AsyncResult reads it, as one JSON line (never waits).

usage: result_of.py TASK_ID
"""
import json
import sys

from interop_app import app


def main():
    result = app.AsyncResult(sys.argv[1])
    value = result.result
    print(json.dumps({
        "id": result.id,
        "status": result.status,
        "result": value if not isinstance(value, BaseException) else None,
        "exc_type": type(value).__name__ if isinstance(value, BaseException) else None,
        "exc_message": str(value) if isinstance(value, BaseException) else None,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
