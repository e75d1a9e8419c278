"""What every rule script shares: logging to the rule's log and user errors without tracebacks."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from contextlib import contextmanager

from .errors import SnakebookError


@contextmanager
def rule_entry(log_path: str | None, book: str | None = None):
    """Run a rule's body: log to ``log_path``; on a user error print one paragraph and exit 1."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers, force=True
    )
    try:
        yield logging.getLogger("snakebook")
    except SnakebookError as error:
        message = str(error) if error.book or not book else f"{book}: {error}"
        logging.getLogger("snakebook").error("ERROR %s", message)
        if os.environ.get("SNAKEBOOK_DEBUG"):
            traceback.print_exc()
        sys.exit(1)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # an unexpected failure: one paragraph on screen, the traceback in the log
        logger = logging.getLogger("snakebook")
        for handler in handlers[1:]:
            handler.stream.write(traceback.format_exc())
        logger.error(
            "ERROR %s: unexpected %s: %s (the traceback is in %s; set SNAKEBOOK_DEBUG=1 to print it here)",
            book or "snakebook",
            type(error).__name__,
            error,
            log_path,
        )
        if os.environ.get("SNAKEBOOK_DEBUG"):
            traceback.print_exc()
        sys.exit(1)
