"""Errors a user can fix in the replication harness; the CLI prints them on one line and exits with 2."""


class ReplicationError(Exception):
    """Bad plan, unknown task, missing data: say what was wrong and what to do."""
