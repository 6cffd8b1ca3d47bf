"""Errors a user can fix in the replication harness; the CLI prints them on one line and exits with 2."""


class ReplicationError(Exception):
    """Bad plan, unknown task, missing data: say what was wrong and what to do."""


class MissingData(ReplicationError):
    """A split or language that is not there (no such split, no local files offline, no hub config for it).

    Distinct from corrupt or wrong data (plain ReplicationError) so that a phase can skip an *optional* split with
    a note while still failing on bad files.
    """
