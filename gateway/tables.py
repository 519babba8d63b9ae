"""Every table the application owns, gathered so that migrations see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

import audio.models
import playlists.models
import sms.models
from gateway import accounts, alert_models, audit, throttle, worker
from gateway.database import Base

MODEL_MODULES = (
    accounts,
    audit,
    throttle,
    worker,
    alert_models,
    audio.models,
    playlists.models,
    sms.models,
)


def metadata() -> MetaData:
    return Base.metadata
