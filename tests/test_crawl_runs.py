"""Crawl-run rows left "running" by a process that died are closed by the next crawl on the host."""
from __future__ import annotations

from sqlalchemy import select

from pipelines.crawl_runs import close_abandoned, open_run
from pipelines.models import CrawlRun


def test_rows_of_dead_processes_on_this_host_are_closed_others_left(sessions):
    with sessions() as session:
        dead = open_run(session, ["a"], "here", 111).id
        alive = open_run(session, ["b"], "here", 222).id
        elsewhere = open_run(session, ["c"], "there", 111).id
        legacy = CrawlRun(sources=["d"], status="running")  # written before processes were recorded
        finished = CrawlRun(sources=["e"], status="finished", host="here", pid=111)
        session.add_all([legacy, finished])
        session.commit()
        closed = close_abandoned(session, "here", is_alive=lambda pid: pid == 222)
        assert sorted(closed) == sorted([dead, legacy.id])
        status = {r.id: (r.status, r.finished_at is not None) for r in session.scalars(select(CrawlRun))}
    assert status[dead] == status[legacy.id] == ("interrupted", True)
    assert status[alive] == status[elsewhere] == ("running", False)
    assert status[finished.id] == ("finished", False)
