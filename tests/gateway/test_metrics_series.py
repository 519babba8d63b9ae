"""/metrics as Prometheus parses it: each (name, labels) once, however many workers run."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.database import Database, utcnow
from gateway.worker import WorkerHeartbeat


def test_two_transcription_workers_give_one_series_per_label_set_with_their_sum(
    client: FlaskClient, database: Database
) -> None:
    now = utcnow()
    with database.session() as session:
        for pid, done, failed in ((101, 3, 1), (102, 4, 0)):
            session.add(
                WorkerHeartbeat(
                    kind="transcribe",
                    host="radio",
                    pid=pid,
                    started_at=now,
                    beat_at=now,
                    state="idle",
                    items_done=done,
                    items_failed=failed,
                )
            )
        session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    seen: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            seen.append(key)
            values[key] = sample.value
    assert len(seen) == len(set(seen)), sorted(k for k in seen if seen.count(k) > 1)
    items = "altavoz_worker_items_total"
    assert values[items, (("kind", "transcribe"), ("result", "done"))] == 7
    assert values[items, (("kind", "transcribe"), ("result", "failed"))] == 1
    assert values["altavoz_worker_up", (("kind", "transcribe"),)] == 2
