"""The `newswatch` command group: parse, call crawler.* and pipelines.*, print.

Every command reads the configuration the same way (``--config``, ``$NEWSWATCH_CONFIG``,
``./newswatch.toml``, bundled defaults). Errors an operator can fix (a bad configuration, watch or
alert target, a database that is unreachable or whose schema is to upgrade) end the command with
one line and exit code 1, and a bad option or argument value with one line and exit code 2, never
a traceback: the group translates them, so no command has to remember to. Numbers and durations
are range-checked here, before they reach a query.
"""
from __future__ import annotations

import getpass
import sys
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from crawler import config as config_module
from crawler.app import App, SchemaOutOfDate, database_problem, setup_logging
from crawler.config import MAX_INT, ConfigError, parse_duration
from crawler.daemon import DaemonError
from crawler.output import emit, format_option
from pipelines.clock import utcnow
from pipelines.targets import TargetError
from pipelines.watch import WatchError


class Context:
    """What the commands share: the configuration path, and the App made from it on first use."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path

    @cached_property
    def app(self) -> App:
        app = App(config_module.load(self.config_path))
        setup_logging(app.config.daemon.log_level, app.config.daemon.log_format)
        return app


class BadValue(click.ClickException):
    """A bad option or argument value, in one line (click would add the usage): exit code 2."""

    exit_code = 2


class Group(click.Group):
    """Turns the errors an operator can fix into one line (exit code 1) for every subcommand."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, SchemaOutOfDate, TargetError, DaemonError) as exc:
            raise click.ClickException(str(exc)) from None
        except WatchError as exc:
            raise click.ClickException(f"bad watch: {exc}") from None
        except click.BadParameter as exc:  # a subcommand's value: out of range, not a choice, missing
            raise BadValue(exc.format_message()) from None
        except (SQLAlchemyError, ModuleNotFoundError) as exc:
            state = ctx.find_object(Context)
            url = state.app.config.database.url if state and "app" in state.__dict__ else None
            message = database_problem(exc, url)
            if message is None:
                raise
            raise click.ClickException(message) from None


pass_ctx = click.make_pass_decorator(Context)


class Duration(click.ParamType):
    """'24h', '7d', '90m' or seconds, read as the configuration reads durations → seconds."""

    name = "duration"

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float):  # click may pass a value it has already converted
            return value
        try:
            return parse_duration(value, param.opts[0] if param else "duration")
        except ConfigError as exc:
            self.fail(f"{value!r}: {exc.problem}", param, ctx)


MAX_ROWS = 1_000_000
ROW_ID = click.IntRange(1, MAX_INT)  # an id column's range


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return None


def _since(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


def _checked_app(ctx: Context) -> App:
    """The App of a command that sends alerts, with its targets and database checked before any work."""
    ctx.app.check_before_work()
    return ctx.app


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(), default=None,  # the loader says what is wrong
              help="Configuration file (default: $NEWSWATCH_CONFIG, ./newswatch.toml, bundled defaults).")
@click.version_option(package_name="newswatch")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """newswatch: watch news sites and feeds for a topic, store the matches, send alerts."""
    ctx.obj = Context(config_path)


# ---------------------------------------------------------------------------- config / db

@main.group("config", cls=Group)
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(ctx: Context) -> None:
    """Validate the configuration, its watches and alert targets; connect to the database and show its schema."""
    from pipelines.watch import load_watches

    config = ctx.app.config
    watches = load_watches(config.watch_paths())
    targets = config.load_targets()
    known = {w.name for w in watches}
    for target in targets.analysts:
        unknown = sorted(target.route.watches - known)
        if unknown:
            raise click.ClickException(f"notify.target ({target.label}): no watch named {unknown[0]!r}; "
                                       f"known: {', '.join(sorted(known)) or '(none)'}")
    click.echo(f"configuration: {config.origin}")
    click.echo(f"database: {config.database.shown}")
    click.echo(f"sources: {len(config.sources)} ({sum(s.enabled for s in config.sources)} enabled)")
    click.echo(f"watches: {', '.join(w.name for w in watches) or '(none)'}")
    for title, group in (("alert targets", targets.analysts), ("operator alert targets", targets.operators)):
        click.echo(f"{title}: {', '.join(_described(t) for t in group) or '(none)'}")
    # last, being the slowest: an unreachable database ends the check with its one-line reason
    click.echo(f"database schema: {ctx.app.schema_status()}")
    click.echo("OK")


def _described(target) -> str:
    policy = target.route.describe() + target.schedule.describe()
    return f"{target.label} ({'; '.join(policy)})" if policy else target.label


@main.group("db", cls=Group)
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@pass_ctx
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations (creates the schema in a new database)."""
    from alembic.util import CommandError

    from pipelines import db

    url = ctx.app.config.database.url
    try:
        db.upgrade(url, revision)
    except CommandError as exc:  # e.g. no such revision
        raise click.ClickException(f"--revision {revision}: {exc} (leave --revision out to go to the latest)") from None
    click.echo(f"database at revision {db.current_revision(url)}")


# ---------------------------------------------------------------------------- crawl / notify / run

@main.command()
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--due", is_flag=True, help="Crawl only sources whose interval has elapsed.")
@click.option("--watch-file", "watch_files", multiple=True, type=click.Path(dir_okay=False, exists=True),
              hidden=True, help="Use these watch files instead of the configured ones (the daemon's last good copies).")
@pass_ctx
def crawl(ctx: Context, names: tuple[str, ...], due: bool, watch_files: tuple[str, ...]) -> None:
    """Crawl every source (or the named ones) now, process and store; then exit."""
    from crawler.crawl import crawl as run_crawl

    app = _checked_app(ctx)
    if watch_files:
        app.config = app.config.with_watch_files([Path(f) for f in watch_files])
    run = run_crawl(app, list(names) or None, due)
    if run is None:
        click.echo("nothing to crawl")
        return
    click.echo(f"crawl {run.id} {run.status}: {run.summary()}")
    if run.status != "finished":
        sys.exit(1)


@main.command()
@pass_ctx
def notify(ctx: Context) -> None:
    """Deliver pending alerts that are due; then exit."""
    report = ctx.app.delivery().drain()
    click.echo(f"alerts: {report.sent} sent, {report.failed} failed (will retry), {report.dead} given up")


@main.command()
@click.option("--once", is_flag=True, help="Run one cycle (crawl what is due, deliver alerts) and exit.")
@click.option("--web", "with_web", is_flag=True, help="Serve the review app too (web.host, web.port).")
@pass_ctx
def run(ctx: Context, once: bool, with_web: bool) -> None:
    """The daemon: poll sources on their intervals and deliver alerts; SIGTERM/SIGINT stop it cleanly."""
    from crawler.daemon import Daemon

    Daemon(_checked_app(ctx), ctx.config_path, web=with_web).run(once=once)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: web.port, 8080).")
@click.option("--check", is_flag=True,
              help="Check the address (authentication beyond loopback) and the database, then exit.")
@click.option("--hash-password", is_flag=True,
              help="Ask for a password and print its hash for web.password_hash, then exit.")
@pass_ctx
def web(ctx: Context, host: str | None, port: int | None, check: bool, hash_password: bool) -> None:
    """The review app: inbox of matches, verdicts, missed articles, sources, outbox, watches, plots."""
    if hash_password:
        from crawler.web.auth import hash_password as make_hash

        click.echo(make_hash(click.prompt("Password", hide_input=True, confirmation_prompt=True)))
        return
    from crawler.web import serve
    from crawler.web.server import check_bind

    settings = ctx.app.config.web
    host, port = host or settings.host, port or settings.port
    if check:
        check_bind(ctx.app, host)
        _ = ctx.app.sessions  # checks (SQLite: migrates) the schema
        click.echo(f"OK: would serve on http://{host}:{port}/")
        return
    serve(ctx.app, host, port)


@main.command()
@format_option
@pass_ctx
def status(ctx: Context, fmt: str) -> None:
    """At a glance: sources due and broken, the outbox, the last crawl, the next poll."""
    from pipelines.queries import status_summary

    with ctx.app.sessions() as session:
        summary = status_summary(session)
    if fmt != "table":
        emit([{k: v for k, v in summary.items() if k != "last_crawl_started"}], fmt)
        return
    outbox = ", ".join(f"{n} {status}" for status, n in sorted(summary["outbox"].items())) or "empty"
    leased = ", ".join(f"{n} by {who}" for who, n in summary["sources_leased"].items()) or "none"
    next_poll = summary["next_poll_at"]
    for label, value in (
        ("sources", f"{summary['sources']} ({summary['sources_enabled']} enabled, {summary['sources_due']} due now, "
                    f"{summary['sources_broken']} broken)"),
        ("being polled", leased),
        ("next poll", f"{next_poll:%Y-%m-%d %H:%M:%S UTC}" if next_poll else "none scheduled"),
        ("last crawl", summary["last_crawl"]),
        ("outbox", outbox),
        ("articles", f"{summary['articles']} ({summary['near_duplicates']} copies of another outlet's story, "
                     f"{summary['texts_pruned']} texts pruned)"),
        ("matches", ", ".join(f"{w} {n}" for w, n in sorted(summary["matches_by_watch"].items())) or "none"),
    ):
        click.echo(f"{label}: {value}")


# ---------------------------------------------------------------------------- review

@main.command()
@click.option("--since", type=Duration(), default="24h", show_default=True, help="How far back, e.g. 24h, 7d.")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@click.option("--limit", type=click.IntRange(1, MAX_ROWS), default=200, show_default=True,
              help="At most this many rows.")
@format_option
@pass_ctx
def matches(ctx: Context, since: float, watch_name: str | None, limit: int, fmt: str) -> None:
    """List what matched: article, watch, score, the terms that fired, the snippet."""
    from pipelines.queries import recent_matches

    with ctx.app.sessions() as session:
        rows = recent_matches(session, _since(since), watch_name, limit)
    emit(rows, fmt, ["id", "matched_at", "watch", "score", "source", "language", "title", "terms", "url"],
         {"title": 50, "terms": 40})


@main.command()
@format_option
@pass_ctx
def sources(ctx: Context, fmt: str) -> None:
    """Each source's health: reported broken since, last success, last error, consecutive failures, next poll;
    its articles of the last 7 days, how many were stored from the feed's text (the page unusable) and how many
    were read from their page on a later poll after a transient failure."""
    from pipelines.queries import source_health
    from pipelines.sources import sync_sources

    with ctx.app.sessions() as session:
        sync_sources(session, ctx.app.config.sources)
        rows = source_health(session)
    emit(rows, fmt, ["name", "kind", "enabled", "broken_since", "last_success_at", "failures", "next_poll_at",
                     "effective_interval_s", "interval_reason", "articles_7d", "feed_text_7d", "feed_text_reason",
                     "read_later_7d", "last_error"], {"last_error": 40, "interval_reason": 40, "feed_text_reason": 30})


@main.command()
@click.argument("path_or_url")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@pass_ctx
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

    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return load_watch(path)
    for watch in load_watches(app.config.watch_paths()):
        if watch.name == name_or_path:
            return watch
    raise click.ClickException(f"no watch named {name_or_path!r} (give a name from the config or a .toml file)")


@main.group("watch", cls=Group)
def watch_group() -> None:
    """Work with watches: list them, test them on labelled examples, suggest changes from verdicts."""


@watch_group.command("list")
@pass_ctx
def watch_list(ctx: Context) -> None:
    """List the configured watches and the files they come from."""
    from pipelines.watch import load_watch

    for path in ctx.app.config.watch_paths():
        click.echo(f"{load_watch(path).name}  ({path})")


@watch_group.command("test")
@click.argument("watch")
@click.option("--examples", "examples", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder with relevant/*.txt and irrelevant/*.txt examples.")
@click.option("--lead", "lead_chars", type=click.IntRange(100, 16 * 1024 * 1024), default=None,
              help="Match only each example's first N characters (ended at a sentence), as a brief or feed summary.")
@pass_ctx
def watch_test(ctx: Context, watch: str, examples: str, lead_chars: int | None) -> None:
    """Precision and recall of a watch (name or file) on labelled examples; lists the misclassified."""
    from pipelines.watch import evaluate_examples

    watch = _find_watch(ctx.app, watch)
    try:
        click.echo(str(evaluate_examples(watch, examples, lead_chars)))
    except OSError as exc:  # no relevant/ or irrelevant/ folder, an unreadable example
        raise click.ClickException(str(exc)) from None


@watch_group.command("suggest")
@click.argument("watch")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True,
              help="At most this many suggestions.")
@click.option("--articles", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Re-match at most this many unlabelled stored articles (the newest) to show side effects.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text to read; json to process.")
@click.option("--examples", "examples", default=None, type=click.Path(file_okay=False, exists=True),
              help="Learn from a folder of labelled examples (relevant/*.txt, irrelevant/*.txt) instead of the store.")
@click.option("--half", type=click.Choice(["tuning", "heldout"]), default=None,
              help="Only the verdicts of this half, split as `watch export` splits them (the other half never shows).")
@pass_ctx
def watch_suggest(ctx: Context, watch: str, limit: int, articles: int, fmt: str, examples: str | None,
                  half: str | None) -> None:
    """Propose terms, exclusions, penalties or a threshold for a watch from analysts' verdicts and
    missed-article reports, each with what it would gain and lose on the stored articles. Never edits the watch."""
    from pipelines.suggest import format_report, load_evidence, load_example_evidence, suggest

    watch = _find_watch(ctx.app, watch)
    if examples and half:
        raise click.UsageError("--half splits the store's verdicts; a folder of examples is split already (DIR/tuning)")
    if examples:
        try:
            evidence = load_example_evidence(watch, examples)
        except OSError as exc:  # no relevant/ or irrelevant/ folder, an unreadable example
            raise click.ClickException(str(exc)) from None
    else:
        with ctx.app.sessions() as session:
            evidence = load_evidence(session, watch.name, articles, half)
    if evidence.empty and half:
        click.echo(f"no verdicts or missed-article reports of the {half} half for {watch.name} yet")
        return
    if evidence.empty:  # nothing to learn from: not an error, as `crawl` with nothing to crawl
        click.echo(f"no verdicts or missed-article reports for {watch.name} yet: mark its matches relevant or "
                   "irrelevant in the review app (`newswatch web`) or with `newswatch feedback MATCH_ID "
                   "relevant|irrelevant`, and report the articles it missed on the app's Missed articles page")
        return
    report = suggest(watch, evidence, limit)
    if fmt == "json":
        emit([{"watch": report.watch, "path": report.path, "half": half, "relevant": len(evidence.relevant),
               "irrelevant": len(evidence.irrelevant), "missed": len(evidence.missed),
               "missed_matched_now": report.already_caught, "stored_checked": len(evidence.stored),
               "stored_unlabelled": evidence.stored_total,
               "suggestions": [s.to_dict() for s in report.suggestions]}], "json")
        return
    click.echo(format_report(report, articles))


@watch_group.command("export")
@click.argument("watch")
@click.argument("directory", type=click.Path(file_okay=False))
@pass_ctx
def watch_export(ctx: Context, watch: str, directory: str) -> None:
    """Write a watch's verdicts and missed-article reports as labelled examples, split for good into
    DIRECTORY/tuning and DIRECTORY/heldout (relevant/*.txt, irrelevant/*.txt): suggest from one, test on the other."""
    from pipelines.labelled_export import export

    name = _find_watch(ctx.app, watch).name
    with ctx.app.sessions() as session:
        try:
            report = export(session, name, directory)
        except OSError as exc:  # the folder cannot be made or written
            raise click.ClickException(f"cannot write {directory}: {exc.strerror or exc}") from None
    click.echo(str(report))


@watch_group.command("forms")
@click.argument("watch")
@click.option("--examples", "examples", default=None, type=click.Path(file_okay=False, exists=True),
              help="Read every *.txt under this folder (as `watch test` reads an example) instead of the store.")
@click.option("--articles", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Without --examples: the newest this many stored articles.")
@click.option("--group", "group", default=None, help="Only the terms of this group.")
@click.option("--min-languages", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Only terms found in documents of at least this many languages (2: where false friends hide).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text to read; json to process.")
@pass_ctx
def watch_forms(ctx: Context, watch: str, examples: str | None, articles: int, group: str | None,
                min_languages: int, fmt: str) -> None:
    """What each term of a watch (name or file) found, by document language: the forms folding and
    inflection let it match, so a word of another language it was never meant to find shows up."""
    from pipelines.models import Article
    from pipelines.watch.evaluate import read_example
    from pipelines.watch.forms import format_forms, term_forms
    from pipelines.watch.model import Document

    watch = _find_watch(ctx.app, watch)
    if group is not None and group not in watch.groups:
        raise click.ClickException(f"watch {watch.name!r} has no group {group!r}")
    if examples:
        try:
            documents = [read_example(path) for path in sorted(Path(examples).rglob("*.txt"))]
        except OSError as exc:
            raise click.ClickException(str(exc)) from None
        if not documents:
            raise click.ClickException(f"no *.txt files under {examples}")
    else:
        from sqlalchemy import select

        with ctx.app.sessions() as session:
            documents = [Document(a.title or "", a.text or "", a.language) for a in
                         session.scalars(select(Article).where(Article.text_pruned_at.is_(None))
                                         .order_by(Article.id.desc()).limit(articles))]
    terms = [t for t in term_forms(watch, documents) if group is None or t.group == group]
    if fmt == "json":
        emit([t.to_dict() for t in terms if len(t.languages) >= min_languages], "json")
        return
    click.echo(format_forms(terms, len(documents), min_languages))


@watch_group.command("inflections")
@click.argument("watch")
@click.option("--language", "language", required=True,
              help="ISO 639-1 code of a language with a dictionary here (pl, ru, uk, de, fr, en, tr, ar, fa, hi, ...).")
@click.option("--group", "group", default=None, help="Only the terms of this group.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text to read; json to process.")
@pass_ctx
def watch_inflections(ctx: Context, watch: str, language: str, group: str | None, fmt: str) -> None:
    """Which dictionary forms of each one-word term a watch (name or file) misses in a language:
    the check to run after writing terms in a language the inflection rules may not know well."""
    from pipelines.watch.coverage import format_coverage, inflection_coverage

    watch = _find_watch(ctx.app, watch)
    if group is not None and group not in watch.groups:
        raise click.ClickException(f"watch {watch.name!r} has no group {group!r}")
    try:
        report = inflection_coverage(watch, language, group)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        emit([t.to_dict() for t in report], "json")
        return
    click.echo(format_coverage(report, language))


@main.command()
@click.option("--since", type=Duration(), default="30d", show_default=True,
              help="Articles fetched this far back, e.g. 30d.")
@click.option("--watch", "watch_name", default=None, help="Only this watch.")
@click.option("--alert", is_flag=True, help="Queue alerts for the new matches (default: store them silently).")
@pass_ctx
def rematch(ctx: Context, since: float, watch_name: str | None, alert: bool) -> None:
    """Apply the current watches to stored articles; store new matches, alert only with --alert."""
    from pipelines.review import rematch as run_rematch
    from pipelines.watch import Matcher, load_watches

    app = _checked_app(ctx) if alert else ctx.app
    watches = load_watches(app.config.watch_paths())
    if watch_name and watch_name not in {w.name for w in watches}:
        raise click.ClickException(f"no watch named {watch_name!r}")
    targets = app.targets.analysts if alert else ()
    report = run_rematch(app.sessions, Matcher(watches), _since(since), watch_name, targets, alert)
    click.echo(f"{report.articles} articles checked: {report.new_matches} new matches, "
               f"{report.already_matched} already matched, {report.alerts} alerts queued")


@main.command()
@click.option("--older-than", type=Duration(), default="180d", show_default=True,
              help="Prune articles fetched this far back or more, e.g. 180d; at least 30d.")
@click.option("--dry-run", is_flag=True, help="Count what would be pruned; change nothing.")
@pass_ctx
def prune(ctx: Context, older_than: float, dry_run: bool) -> None:
    """Drop the text of old articles no watch matched; their rows stay, so they are still known."""
    from pipelines.retention import prune_unmatched_texts

    cutoff = _since(older_than)
    try:
        outcome = prune_unmatched_texts(ctx.app.sessions, timedelta(seconds=older_than), dry_run=dry_run)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--older-than'") from None
    verb = "would be pruned" if dry_run else "pruned"
    click.echo(f"{outcome.articles} texts of unmatched articles fetched before {cutoff:%Y-%m-%d %H:%M} UTC {verb} "
               f"({outcome.characters:,} characters)")


@main.command()
@click.argument("match_id", type=ROW_ID)
@click.argument("verdict", type=click.Choice(["relevant", "irrelevant"]))
@click.option("--note", default=None, help="Why, in the analyst's words.")
@click.option("--by", "author", default=None, help="Who gives the verdict (default: the login name).")
@pass_ctx
def feedback(ctx: Context, match_id: int, verdict: str, note: str | None, author: str | None) -> None:
    """Record an analyst's verdict on a match (relevant or irrelevant)."""
    from pipelines.review import record_feedback

    with ctx.app.sessions() as session:
        try:
            record_feedback(session, match_id, verdict, note, author or _login_name())
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"match {match_id}: {verdict}")


@main.command()
@click.option("--since", type=Duration(), default="30d", show_default=True, help="Matches this far back, e.g. 30d.")
@format_option
@pass_ctx
def report(ctx: Context, since: float, fmt: str) -> None:
    """Precision per watch, source and language, from analysts' verdicts."""
    from pipelines.queries import precision_report

    with ctx.app.sessions() as session:
        emit(precision_report(session, _since(since)), fmt)


# ---------------------------------------------------------------------------- alerts

@main.group("alerts", cls=Group, invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead", "withdrawn", "all"]), default=None,
              help="Only alerts in this state (default: pending, sending and dead).")
@click.option("--stats", is_flag=True,
              help="Per target instead: alerts sent, waiting, given up and withdrawn, and delivery latency "
                   "(median, 95th percentile, slowest) since --since.")
@click.option("--since", type=Duration(), default="7d", show_default=True,
              help="With --stats: alerts queued this far back, e.g. 24h.")
@format_option
@click.pass_context
def alerts(click_ctx: click.Context, status: str | None, stats: bool, since: float, fmt: str) -> None:
    """List alerts waiting, failing or given up (the outbox): analysts' and operators' alerts."""
    if click_ctx.invoked_subcommand:
        return
    from pipelines.queries import ALERT_STATES, WAITING, outbox
    from pipelines.stats import alert_latency_by_target

    if stats and status:
        raise click.UsageError("--stats counts every state; leave out --status")
    states = WAITING if status is None else ALERT_STATES if status == "all" else (status,)
    with click_ctx.find_object(Context).app.sessions() as session:
        if stats:
            emit(alert_latency_by_target(session, _since(since)), fmt, None, {"target": 40})
            return
        rows = outbox(session, states)
    emit(rows, fmt, None, {"title": 40, "last_error": 40, "target": 40})


@alerts.command("retry")
@click.argument("ids", nargs=-1, type=ROW_ID)
@pass_ctx
def alerts_retry(ctx: Context, ids: tuple[int, ...]) -> None:
    """Re-queue given-up alerts (all of them, or the given ids) for delivery now."""
    from pipelines.outbox import requeue

    with ctx.app.sessions() as session:
        count = requeue(session, list(ids) or None, all_dead=not ids)
        session.commit()
    click.echo(f"{count} alerts re-queued")


if __name__ == "__main__":
    main()
