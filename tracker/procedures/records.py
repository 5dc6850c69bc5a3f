"""Which of a case's procedure records counts. Pure: reads any objects with a `status`."""


def current_record(records):
    """The record being worked on or signed among a case's records (oldest first); an abandoned
    attempt is history."""
    live = [r for r in records if r.status != "abandoned"]
    return live[-1] if live else None
