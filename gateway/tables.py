"""Every table the application owns, gathered so that migrations see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

from gateway import accounts, audit, throttle, worker
from gateway.database import Base

MODEL_MODULES = (accounts, audit, throttle, worker)


def metadata() -> MetaData:
    return Base.metadata
