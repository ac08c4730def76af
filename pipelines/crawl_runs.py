"""Crawl-run rows: opened when a crawl starts, closed when it ends, and closed for it when its
process died without closing them (SIGKILL, a crash, a reboot)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipelines.clock import utcnow
from pipelines.models import CrawlRun


def open_run(session: Session, sources: list[str], host: str, pid: int) -> CrawlRun:
    """A "running" row for this process's crawl; commits."""
    run = CrawlRun(sources=sources, status="running", host=host, pid=pid)
    session.add(run)
    session.commit()
    return run


def close_abandoned(session: Session, host: str, is_alive: Callable[[int], bool]) -> list[int]:
    """Mark "interrupted" the rows still "running" whose process on ``host`` is gone (rows written
    before processes were recorded count as gone); commits. Rows of other hosts are left alone:
    from here there is no telling whether their process lives. Returns the ids closed."""
    stmt = select(CrawlRun).where(CrawlRun.status == "running",
                                  or_(CrawlRun.host.is_(None), CrawlRun.host == host))
    closed = []
    for run in session.scalars(stmt):
        if run.host is None or run.pid is None or not is_alive(run.pid):
            run.status, run.finished_at = "interrupted", utcnow()
            closed.append(run.id)
    session.commit()
    return closed
