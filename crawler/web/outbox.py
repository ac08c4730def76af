"""The outbox: alerts pending, failing or given up, with their last error and why they wait; a
retry button re-queues (pipelines.outbox.requeue)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from crawler.web.common import checked_form, in_thread, newswatch, parse_id, render
from pipelines.outbox import requeue
from pipelines.queries import ALERT_STATES, WAITING, outbox

VIEWS = {"waiting": WAITING, "dead": ("dead",), "pending": ("pending", "sending"), "all": ALERT_STATES}


def page(request: Request):
    view = request.query_params.get("view", "waiting")
    view = view if view in VIEWS else "waiting"
    with newswatch(request).sessions() as session:
        rows = outbox(session, VIEWS[view])
    if view == "all":
        rows = rows[-500:]
    return render(request, "outbox.html", rows=rows, view=view, views=list(VIEWS),
                  retried=parse_id(request.query_params.get("retried")) or request.query_params.get("retried"))


async def retry(request: Request):
    form = await checked_form(request)
    ids = [i for i in (parse_id(str(form.get("id") or "")),) if i]

    def work() -> int:
        with newswatch(request).sessions() as session:
            count = requeue(session, ids or None, all_dead=not ids)
            session.commit()
            return count

    count = await in_thread(work)
    return RedirectResponse(f"/outbox?view={form.get('view') or 'waiting'}&retried={count}", 303)
