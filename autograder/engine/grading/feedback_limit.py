"""An optional feedback limit: after K submissions in a rolling window, hidden-test outcomes are
withheld from the student's view (the score still counts), so hidden tests stop being an oracle.

Off unless the homework's config sets {"feedback_limit": {"submissions": K, "window_hours": H}}.
Reads Gradescope's submission_metadata.json: this submission's created_at and the
submission_time of each of previous_submissions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone


def parse_time(text: str) -> datetime:
    """ISO 8601 as Gradescope writes it (any number of fractional digits, offset or Z)."""
    text = str(text).strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    text = re.sub(r"(\.\d{1,5})(?=[+-]|$)", lambda m: m.group(1).ljust(7, "0"), text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def window_state(metadata: dict, submissions: int, window_hours: float):
    """(withhold?, when full feedback returns) for the submission the metadata describes."""
    now = parse_time(metadata["created_at"])
    window = timedelta(hours=float(window_hours))
    earlier = sorted(t for t in (parse_time(p["submission_time"])
                                 for p in metadata.get("previous_submissions") or [] if p.get("submission_time"))
                     if now - window < t <= now)
    if len(earlier) < int(submissions):
        return False, None
    # a later submission sees this one as earlier too: its feedback returns once fewer than K of
    # (earlier + this one) remain inside its window
    times = earlier + [now]
    return True, times[len(times) - int(submissions)] + window


def apply(results, metadata: dict, limit: dict):
    """Withhold the outcomes of every test that is not visible, when the limit is reached."""
    withhold, returns_at = window_state(metadata, limit["submissions"], limit["window_hours"])
    if not withhold:
        return results
    for test in results.tests:
        if test.visibility != "visible":
            test.visibility = "hidden"
    note = (f"Feedback limit: you have submitted {limit['submissions']} or more times in the last "
            f"{limit['window_hours']:g} hours, so the outcomes of this submission's hidden tests are withheld "
            f"(they still count toward your score). Full feedback returns with a submission made after "
            f"{returns_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC.")
    results.output = (note + "\n\n" + results.output).strip()
    return results
