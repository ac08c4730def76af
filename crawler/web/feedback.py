"""A signed feedback link from an alert: shows the match and records the verdict.

The GET page's form is submitted by the script at once (one click for a reader in a browser); a
mail scanner that only fetches the link records nothing, since recording is the POST."""
from __future__ import annotations

from starlette.requests import Request

from crawler.web.common import in_thread, newswatch, render
from pipelines.feedback_links import BadLink, verify
from pipelines.inbox import match_detail
from pipelines.review import record_feedback


async def page(request: Request):
    app = newswatch(request)
    token = request.path_params["token"]
    try:
        match_id, verdict = verify(app.config.web.secret or "", token)
    except BadLink as exc:
        return render(request, "feedback.html", status_code=400, problem=str(exc), detail=None, recorded=False)

    def work(record: bool):
        with app.sessions() as session:
            detail = match_detail(session, match_id)
            if detail is not None and record and detail["verdict"] != verdict:
                record_feedback(session, match_id, verdict, "from an alert's feedback link", "alert link")
            return detail

    record = request.method == "POST"
    detail = await in_thread(work, record)
    if detail is None:
        return render(request, "feedback.html", status_code=404, problem=f"match {match_id} no longer exists",
                      detail=None, recorded=False)
    return render(request, "feedback.html", problem=None, detail=detail, verdict=verdict, recorded=record,
                  token=token)

