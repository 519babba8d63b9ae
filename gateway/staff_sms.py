"""SMS to the station's on-call staff (`monitor.staff_numbers`) about the air.

Through the same durable outbox as every other SMS, so a message queued while the SMSC is
unreachable still goes out when it is back. Texts come from the configuration (Spanish by
default) with the station's name and times in the station's zone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.codes import coded
from gateway.settings import Settings
from playlists.models import AsRunDetail
from sms import outbox
from sms.compose import ComposeError, compose

log = logging.getLogger(__name__)


def format_duration(seconds: float) -> str:
    """ "45 s", "3 min 5 s", "2 h 10 min": short enough for an SMS, readable in any language."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def tell_staff(
    session: Session,
    settings: Settings,
    template: str,
    *,
    since: datetime,
    at: datetime,
) -> str:
    """Queue `template`, filled in for dead air from `since` to `at` (now, while it lasts), to
    every on-call number; say what was done, coded for the as-run log."""
    numbers = settings.monitor.staff_numbers
    if not numbers:
        return AsRunDetail.NO_STAFF
    zone = settings.station.zone
    text = template.format(
        station=settings.station.name,
        since=since.astimezone(zone).strftime("%H:%M"),
        at=at.astimezone(zone).strftime("%H:%M"),
        duration=format_duration((at - since).total_seconds()),
    )
    try:
        composed = compose(text, settings=settings.smpp)
    except ComposeError as exc:
        log.error("the staff SMS cannot be sent: %s", exc)
        return AsRunDetail.STAFF_NOT_SENT
    segments = [
        outbox.SegmentPayload(s.short_message, s.data_coding, s.esm_class)
        for s in composed.segments
    ]
    queued = 0
    for number in numbers:
        try:
            outbox.enqueue(
                session,
                destination=number,
                text=composed.text,
                encoding=composed.encoding,
                segments=segments,
                alert_id=None,
                now=at,
            )
        except outbox.OptedOutError:
            log.warning("staff number %s has opted out of SMS; not told", number)
            continue
        queued += 1
    return coded(AsRunDetail.STAFF_TOLD, queued=queued, numbers=len(numbers))
