"""The `newswatch` command group: a thin layer over crawler.* and pipelines.*.

Every command reads the configuration the same way (``--config``, ``$NEWSWATCH_CONFIG``,
``./newswatch.toml``, bundled defaults) and reports a bad configuration as one clear line.
"""
from __future__ import annotations

import functools
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
from sqlalchemy import select

from crawler import config as config_module
from crawler.app import App, SchemaOutOfDate, setup_logging
from crawler.config import ConfigError, parse_duration
from crawler.output import FORMATS, render


class Context:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App(config_module.load(self.config_path))
            setup_logging(self._app.config.daemon.log_level)
        return self._app


def handles_errors(func):
    """Turn the errors an operator can fix into one line and exit code 2, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ConfigError, SchemaOutOfDate) as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from pipelines.watch import WatchError

            if isinstance(exc, WatchError):
                raise click.ClickException(f"bad watch: {exc}") from None
            raise

    return wrapper


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: $NEWSWATCH_CONFIG, ./newswatch.toml, bundled defaults).")
@click.version_option(package_name="newswatch")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """newswatch: watch news sites and feeds for a topic, store the matches, send alerts."""
    ctx.obj = Context(config_path)


# ---------------------------------------------------------------------------- config / db

@main.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(ctx: Context) -> None:
    """Validate the configuration, its watches and its alert targets; name the bad key and value."""
    try:
        config = config_module.load(ctx.config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from pipelines.targets import load_target, targets_from_config
    from pipelines.watch import WatchError, load_watches

    try:
        watches = load_watches(config.watch_paths())
    except WatchError as exc:
        raise click.ClickException(f"bad watch: {exc}") from None
    try:
        targets = targets_from_config(config.notify)
        operators = [load_target(url, i) for i, url in enumerate(config.notify.operator_targets, start=1)]
    except ValueError as exc:  # TargetError and ConfigError both are
        raise click.ClickException(str(exc)) from None
    click.echo(f"configuration: {config.origin}")
    click.echo(f"database: {_safe_db_url(config.database.url)}")
    click.echo(f"sources: {len(config.sources)} ({sum(s.enabled for s in config.sources)} enabled)")
    click.echo(f"watches: {', '.join(w.name for w in watches) or '(none)'}")
    click.echo(f"alert targets: {', '.join(t.label for t in targets) or '(none)'}")
    click.echo(f"operator alert targets: {', '.join(t.label for t in operators) or '(none)'}")
    click.echo("OK")


def _safe_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@pass_ctx
@handles_errors
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations (creates the schema in a new database)."""
    from pipelines import db

    db.upgrade(ctx.app.config.database.url, revision)
    click.echo(f"database at revision {db.current_revision(ctx.app.config.database.url)}")


# ---------------------------------------------------------------------------- crawl / notify / run

@main.command()
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--due", is_flag=True, help="Crawl only sources whose interval has elapsed.")
@click.option("--watch-file", "watch_files", multiple=True, type=click.Path(dir_okay=False, exists=True),
              hidden=True, help="Use these watch files instead of the configured ones (the daemon's last good copies).")
@pass_ctx
@handles_errors
def crawl(ctx: Context, names: tuple[str, ...], due: bool, watch_files: tuple[str, ...]) -> None:
    """Crawl every source (or the named ones) now, process and store; then exit."""
    from crawler.crawl import crawl as run_crawl

    if watch_files:
        ctx.app.config = ctx.app.config.with_watch_files([Path(f) for f in watch_files])
    run = run_crawl(ctx.app, list(names) or None, due)
    if run is None:
        click.echo("nothing to crawl")
        return
    click.echo(
        f"crawl {run.id} {run.status}: {len(run.sources)} sources, {run.items_seen} items, "
        f"{run.articles_new} new articles, {run.duplicates} duplicates, {run.matches_new} matches, "
        f"{run.alerts_new} alerts queued, {run.errors} errors"
    )
    if run.status != "finished":
        sys.exit(1)


@main.command()
@pass_ctx
@handles_errors
def notify(ctx: Context) -> None:
    """Deliver pending alerts that are due; then exit."""
    from pipelines.notifier import Notifier
    from pipelines.outbox import deliver_pending
    from pipelines.targets import targets_from_config

    app = ctx.app
    app.ensure_schema()
    targets = targets_from_config(app.config.notify)
    notifier = Notifier(min_interval=app.config.notify.min_interval)  # one for all batches
    sent = failed = dead = 0
    while True:  # batch after batch, until nothing due is left
        report = deliver_pending(app.sessions, targets, app.config.notify, notifier=notifier)
        sent, failed, dead = sent + report.sent, failed + report.failed, dead + report.dead
        if report.sent == 0:  # nothing left, or only failures: those wait for their backoff
            break
    click.echo(f"alerts: {sent} sent, {failed} failed (will retry), {dead} given up")


@main.command()
@click.option("--once", is_flag=True, help="Run one cycle (crawl what is due, deliver alerts) and exit.")
@pass_ctx
@handles_errors
def run(ctx: Context, once: bool) -> None:
    """The daemon: poll sources on their intervals and deliver alerts; SIGTERM/SIGINT stop it cleanly."""
    from crawler.daemon import Daemon

    ctx.app.ensure_schema()
    Daemon(ctx.app, ctx.config_path).run(once=once)


# ---------------------------------------------------------------------------- review

def _since(value: str) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=parse_duration(value, "--since"))


@main.command()
@click.option("--since", default="24h", show_default=True, help="How far back, e.g. 24h, 7d.")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True, help="At most this many rows.")
@pass_ctx
@handles_errors
def matches(ctx: Context, since: str, watch_name: str | None, fmt: str, limit: int) -> None:
    """List what matched: article, watch, score, the terms that fired, the snippet."""
    from pipelines.models import Article, Match, Source

    app = ctx.app
    app.ensure_schema()
    stmt = (
        select(Match, Article, Source.name)
        .join(Article, Match.article_id == Article.id)
        .outerjoin(Source, Article.source_id == Source.id)
        .where(Match.created_at >= _since(since))
        .order_by(Match.created_at.desc())
        .limit(limit)
    )
    if watch_name:
        stmt = stmt.where(Match.watch == watch_name)
    rows = []
    with app.sessions() as session:
        for match, article, source in session.execute(stmt):
            rows.append({
                "id": match.id,
                "matched_at": match.created_at,
                "watch": match.watch,
                "score": match.score,
                "title": article.title,
                "url": article.url,
                "source": source,
                "language": article.language,
                "published_at": article.published_at,
                "terms": sorted({t["form"] for t in match.terms}),
                "snippet": match.snippet,
            })
    columns = ["id", "matched_at", "watch", "score", "source", "language", "title", "terms", "url"]
    click.echo(render(rows, fmt, columns if fmt in ("table", "csv") else None, {"title": 50, "terms": 40}), nl=False)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
@handles_errors
def sources(ctx: Context, fmt: str) -> None:
    """Each source's health: reported broken since, last success, last error, consecutive failures, next poll."""
    from pipelines.models import Source
    from pipelines.sources import sync_sources

    app = ctx.app
    app.ensure_schema()
    with app.sessions() as session:
        sync_sources(session, app.config.sources)
        rows = [
            {
                "name": s.name, "kind": s.kind, "enabled": s.enabled, "url": s.url,
                "interval_s": int(s.interval_seconds), "broken_since": s.reported_broken_at,
                "last_success_at": s.last_success_at, "failures": s.consecutive_failures,
                "failing_since": s.failing_since, "last_error": s.last_error,
                "last_error_at": s.last_error_at, "next_poll_at": s.next_poll_at,
            }
            for s in session.scalars(select(Source).order_by(Source.name))
        ]
    columns = ["name", "kind", "enabled", "broken_since", "last_success_at", "failures", "next_poll_at",
               "last_error"]
    click.echo(render(rows, fmt, columns if fmt == "table" else None, {"last_error": 50}), nl=False)


@main.command()
@click.argument("path_or_url")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@pass_ctx
@handles_errors
def explain(ctx: Context, path_or_url: str, watch_name: str | None) -> None:
    """Why a document matches a watch or not: the terms found, the rules, the score."""
    from crawler.explain_input import FetchRefused, load_document
    from pipelines.watch import Matcher, format_explanation, load_watches

    app = ctx.app
    watches = [w for w in load_watches(app.config.watch_paths()) if not watch_name or w.name == watch_name]
    if not watches:
        raise click.ClickException(f"no watch named {watch_name!r}")
    try:
        document = load_document(app, path_or_url)
    except (FetchRefused, OSError) as exc:
        raise click.ClickException(f"cannot read {path_or_url}: {exc}") from None
    for result in Matcher(watches).explain(document):
        click.echo(format_explanation(result))
        click.echo()


# ---------------------------------------------------------------------------- watches and feedback

def _find_watch(app: App, name_or_path: str):
    from pipelines.watch import load_watch, load_watches

    if Path(name_or_path).suffix in (".toml", ".yaml", ".yml") and Path(name_or_path).exists():
        return load_watch(Path(name_or_path))
    for watch in load_watches(app.config.watch_paths()):
        if watch.name == name_or_path:
            return watch
    raise click.ClickException(f"no watch named {name_or_path!r} (give a name from the config or a file path)")


@main.group("watch")
def watch_group() -> None:
    """Work with watches: list them, test them on labelled examples."""


@watch_group.command("list")
@pass_ctx
@handles_errors
def watch_list(ctx: Context) -> None:
    """List the configured watches and the files they come from."""
    from pipelines.watch import load_watch

    for path in ctx.app.config.watch_paths():
        watch = load_watch(path)
        click.echo(f"{watch.name}  ({path})")


@watch_group.command("test")
@click.argument("watch")
@click.option("--examples", "examples", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder with relevant/*.txt and irrelevant/*.txt examples.")
@pass_ctx
@handles_errors
def watch_test(ctx: Context, watch: str, examples: str) -> None:
    """Precision and recall of a watch (name or file) on labelled examples; lists the misclassified."""
    from pipelines.watch import evaluate_examples

    report = evaluate_examples(_find_watch(ctx.app, watch), examples)
    click.echo(str(report))


@main.command()
@click.option("--since", default="30d", show_default=True, help="Articles fetched this far back, e.g. 30d.")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@click.option("--alert", is_flag=True, help="Queue alerts for the new matches (default: store them silently).")
@pass_ctx
@handles_errors
def rematch(ctx: Context, since: str, watch_name: str | None, alert: bool) -> None:
    """Apply the current watches to stored articles; store new matches, alert only with --alert."""
    from pipelines.review import rematch as run_rematch
    from pipelines.targets import targets_from_config
    from pipelines.watch import Matcher, load_watches

    app = ctx.app
    app.ensure_schema()
    watches = load_watches(app.config.watch_paths())
    if watch_name and watch_name not in {w.name for w in watches}:
        raise click.ClickException(f"no watch named {watch_name!r}")
    report = run_rematch(app.sessions, Matcher(watches), _since(since), watch_name,
                         targets_from_config(app.config.notify), alert)
    click.echo(f"{report.articles} articles checked: {report.new_matches} new matches, "
               f"{report.already_matched} already matched, {report.alerts} alerts queued")


@main.command()
@click.argument("match_id", type=int)
@click.argument("verdict", type=click.Choice(["relevant", "irrelevant"]))
@click.option("--note", default=None, help="Why, in the analyst's words.")
@pass_ctx
@handles_errors
def feedback(ctx: Context, match_id: int, verdict: str, note: str | None) -> None:
    """Record an analyst's verdict on a match (relevant or irrelevant)."""
    from pipelines.review import record_feedback

    app = ctx.app
    app.ensure_schema()
    with app.sessions() as session:
        try:
            record_feedback(session, match_id, verdict, note)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"match {match_id}: {verdict}")


@main.command()
@click.option("--since", default="30d", show_default=True, help="Matches this far back, e.g. 30d.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
@handles_errors
def report(ctx: Context, since: str, fmt: str) -> None:
    """Precision per watch, source and language, from analysts' verdicts."""
    from pipelines.review import precision_report

    app = ctx.app
    app.ensure_schema()
    with app.sessions() as session:
        rows = precision_report(session, _since(since))
    click.echo(render(rows, fmt), nl=False)


# ---------------------------------------------------------------------------- alerts

@main.group("alerts", invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead", "all"]), default=None,
              help="Only alerts in this state (default: pending, sending and dead).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
@handles_errors
def alerts(click_ctx: click.Context, status: str | None, fmt: str) -> None:
    """List alerts waiting, failing or given up (the outbox): analysts' and operators' alerts."""
    if click_ctx.invoked_subcommand:
        return
    from pipelines.models import Alert, Article, Match, Source, SourceEvent

    app = click_ctx.find_object(Context).app
    app.ensure_schema()
    # analysts' alerts (a match) and operators' (a source broke or recovered) in one list
    stmt = (select(Alert, Match, Article, SourceEvent, Source)
            .outerjoin(Match, Alert.match_id == Match.id).outerjoin(Article, Match.article_id == Article.id)
            .outerjoin(SourceEvent, Alert.source_event_id == SourceEvent.id)
            .outerjoin(Source, SourceEvent.source_id == Source.id))
    if status in (None,):
        stmt = stmt.where(Alert.status.in_(["pending", "sending", "dead"]))
    elif status != "all":
        stmt = stmt.where(Alert.status == status)
    with app.sessions() as session:
        rows = [
            {"id": a.id, "status": a.status, "target": a.target_label, "attempts": a.attempts,
             "next_attempt_at": a.next_attempt_at, "sent_at": a.sent_at,
             "watch": m.watch if m else None,
             "title": art.title if art else f"source {event.kind}: {src.name}",
             "last_error": a.last_error}
            for a, m, art, event, src in session.execute(stmt.order_by(Alert.id))
        ]
    click.echo(render(rows, fmt, None, {"title": 40, "last_error": 40, "target": 40}), nl=False)


@alerts.command("retry")
@click.argument("ids", nargs=-1, type=int)
@pass_ctx
@handles_errors
def alerts_retry(ctx: Context, ids: tuple[int, ...]) -> None:
    """Re-queue given-up alerts (all of them, or the given ids) for delivery now."""
    from pipelines.outbox import requeue

    app = ctx.app
    app.ensure_schema()
    with app.sessions() as session:
        count = requeue(session, list(ids) or None, all_dead=not ids)
        session.commit()
    click.echo(f"{count} alerts re-queued")


if __name__ == "__main__":
    main()
