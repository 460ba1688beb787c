"""The one exception class for failures raised on purpose for the user, beyond bad values and missing files.

The CLI (:func:`writing7.cli.common.user_errors`) shows a :class:`UserFacingError` as one line,
``error: <message>``, with exit code 2, like a ``ValueError`` or ``FileNotFoundError``. Every other
``RuntimeError`` -- torch running out of memory, a shape mismatch, any bug -- keeps its traceback.
Raise it when the user can act on the message: it names what happened and the fix ("training stopped
at step 40 of 100: run `writing7 train` again to resume", "another ingest is writing to DIR: wait...").

It subclasses ``RuntimeError`` only so that callers and tests that caught these failures as
``RuntimeError`` keep working; the CLI itself no longer treats ``RuntimeError`` as a user error.
"""

from __future__ import annotations


class UserFacingError(RuntimeError):
    """A failure the user can fix, with a one-line message that names what went wrong and the fix."""


class TrainingStoppedError(UserFacingError):
    """A training run stopped before ``max_steps`` (asked to stop, or interrupted between checkpoints): its checkpoint
    stays, and the message says which command resumes it. Not a bug: shown as one ``error:`` line."""
