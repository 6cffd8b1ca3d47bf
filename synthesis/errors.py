"""Errors a user can fix. The CLI prints their message on one line and exits with code 2."""


class AssayError(Exception):
    """A user mistake or bad input: say what was wrong and what to do, never a traceback."""


class NetworkForbidden(AssayError):
    """The network was needed while offline mode forbids it."""


class NetworkError(AssayError):
    """The network failed in a way retries could not fix."""
