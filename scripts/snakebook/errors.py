"""The one exception type for problems a user can cause or fix."""

from __future__ import annotations


class SnakebookError(Exception):
    """A problem with a book, the configuration or the installation.

    The message is written for the user: one paragraph saying which book (when
    there is one), what is wrong and how to fix it. Entry scripts print it
    without a traceback.
    """

    def __init__(self, message: str, book: str | None = None):
        self.book = book
        self.message = message
        super().__init__(f"{book}: {message}" if book else message)
