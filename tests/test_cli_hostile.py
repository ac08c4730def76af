"""Every CLI command against hostile arguments and configurations, as an attacker or a new user would
try them: each ends in a short error (exit status 1 or 2, a few lines), never a traceback, and
never prints a secret from the configuration.

The commands are listed from the click group (as tests/test_cli_docs.py does), so a new command
without a row in ``BASE_ARGS`` fails here. Hostile values for numbers, durations, choices and
paths are made from each command's own parameters. Everything runs in-process with CliRunner;
``test_the_real_entry_point`` runs a few cases as separate processes.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile

import click
import pytest
from click.testing import CliRunner

from crawler.cli import Duration, main
from tests.shared_data import PROJECT_ROOT
from tests.test_cli_docs import COMMANDS

SECRET = "S3cretPassw0rd"
MAX_LINES = 4  # click's own usage errors (an unknown option) take 4: usage, hint, blank, error
REPORT_LINES = 6  # config check reports what it checked before the error that ends it
DOC = PROJECT_ROOT / "tests" / "site" / "en" / "s400-india-deal.html"
EXAMPLES = PROJECT_ROOT / "crawler" / "watchlists" / "examples" / "russia_pakistan_security"

# One working invocation per command: the hostile cases change one thing in it.
BASE_ARGS = {
    "alerts": [], "alerts retry": [], "config check": [], "crawl": [], "db upgrade": [],
    "explain": [str(DOC)], "feedback": ["1", "relevant"], "matches": [], "notify": [],
    "prune": ["--dry-run"], "rematch": [], "report": [], "run": ["--once"], "sources": [], "status": [], "watch list": [],
    "watch suggest": ["russia_pakistan_security"],
    "watch export": ["russia_pakistan_security", tempfile.mkdtemp(prefix="newswatch-export-")],
    "watch forms": ["russia_pakistan_security", "--examples", str(EXAMPLES)],
    "watch inflections": ["russia_pakistan_security", "--language", "fr", "--group", "security"],
    "watch test": ["russia_pakistan_security", "--examples", str(EXAMPLES)],
    "web": ["--check"],
}
LEAVES = [path for path, command in COMMANDS
          if not isinstance(command, click.Group) or command.invoke_without_command]
USES_TARGETS = {"crawl", "notify", "run", "config check"}  # and rematch --alert
NO_DATABASE = {"explain", "watch list", "watch test", "watch forms", "watch inflections"}  # read no database (explain: with a file; forms: with --examples)

HOSTILE_NUMBERS = ["-1", "0", "99999999999999999999", "abc", "1.5", ""]
HOSTILE_DURATIONS = ["99999999d", "-5m", "soon", "0", "nan", "inf", "1e400", "", "9" * 400]


def test_every_command_has_a_base_invocation():
    assert sorted(BASE_ARGS) == sorted(LEAVES)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Configuration files, good and hostile, and a migrated database for the good one."""
    from pipelines.db import upgrade

    root = tmp_path_factory.mktemp("hostile")
    db = f"sqlite:///{root / 'news.db'}"
    upgrade(db)
    made = {}

    def put(name: str, content: str | bytes) -> str:
        path = root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        made[name] = str(path)
        return str(path)

    good = f'[database]\nurl = "{db}"\n'  # no sources: nothing here ever crawls the network
    put("good.toml", good)
    put("bad-target.toml", good + f'[notify]\ntargets = ["nonsense://user:{SECRET}@host"]\n')
    put("string-target.toml", good + f'[notify]\ntargets = "mailto://bob:{SECRET}@smtp.example.org"\n')
    put("string-operator.toml", good + f'[notify]\noperator_targets = "mailto://bob:{SECRET}@smtp.example.org"\n')
    put("typo-target.toml", good + f'[notify]\ntarget = ["mailto://bob:{SECRET}@smtp.example.org"]\n')
    put("latin2.toml", "[notify]\n# Zażółć gęślą jaźń\n".encode("iso-8859-2"))
    put("utf16.toml", good.encode("utf-16"))
    put("binary.toml", bytes(range(256)) * 64)
    put("huge.toml", "# padding\n" * 200_000)
    put("not-toml.toml", "[database\nurl = \n")
    put("nested.toml", "x = " + "[" * 100_000)
    put("inf.toml", good + "[crawl]\ndownload_delay = inf\nconcurrent_requests = 99999999999999999999\n")
    put("interval.toml", good + '[[sources]]\nname = "A"\nurl = "https://a.example/"\ninterval = "99999999d"\n')
    put("watch-device.toml", good + '[watches]\npaths = ["/dev/zero"]\n')
    for name, url in {
        "postgres-scheme": f"postgres://news:{SECRET}@127.0.0.1:1/news",
        "unreachable": f"postgresql+psycopg://news:{SECRET}@127.0.0.1:1/news",
        "unknown-dialect": f"nosuchdb://news:{SECRET}@127.0.0.1/news",
        "bad-port": f"postgresql+psycopg://news:{SECRET}@127.0.0.1:port/news",
        "no-folder": f"sqlite:///{root}/no/such/folder/news.db",
    }.items():
        put(f"db-{name}.toml", f'[database]\nurl = "{url}"\n')
    watches = {
        "nots": 'expr = "' + "NOT " * 10_000 + 'a"',
        "parens": 'expr = "' + "(" * 250 + "a" + ")" * 250 + '"',
    }
    for name, expr in watches.items():
        watch = put(f"watch-{name}.toml", f'[watch]\nname = "w"\nthreshold = 1\n[groups.a]\nterms = ["alpha"]\n'
                                           f"[[rules]]\n{expr}\n")
        put(f"with-{name}.toml", good + f'[watches]\ninclude_bundled = false\npaths = ["{watch}"]\n')
    chain = "".join(f'[groups.g{i}]\ninclude = ["g{i + 1}"]\n' for i in range(5000))
    watch = put("watch-chain.toml", f'[watch]\nname = "w"\nthreshold = 1\n{chain}[groups.g5000]\nterms = ["a"]\n'
                                    '[[rules]]\nexpr = "g0"\n')
    put("with-chain.toml", good + f'[watches]\ninclude_bundled = false\npaths = ["{watch}"]\n')
    made["root"] = str(root)
    return made


def invoke(args: list[str], env: dict | None = None):
    return CliRunner().invoke(main, args, env=env or {})


def check(result, must_fail: bool = True, command: str = ""):
    """The battery's assertions, for one invocation."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}")
    assert "Traceback" not in result.output
    assert SECRET not in result.output and "bob:" not in result.output
    assert result.exit_code in ((1, 2) if must_fail else (0,)), (result.exit_code, result.output)
    if must_fail:
        limit = MAX_LINES + (REPORT_LINES if command == "config check" else 0)
        assert len(result.output.splitlines()) <= limit, result.output


# ---------------------------------------------------------------------------- hostile configurations

# file name (in ``files``) → which commands must fail with it ("all", or those that need the database
# or the alert targets); the others must still work.
CONFIGS = {
    "string-target.toml": "all", "string-operator.toml": "all", "typo-target.toml": "all",
    "latin2.toml": "all", "utf16.toml": "all", "binary.toml": "all", "huge.toml": "all",
    "not-toml.toml": "all", "nested.toml": "all", "inf.toml": "all", "interval.toml": "all",
    "watch-device.toml": "all", "bad-target.toml": "alerts",
    "db-postgres-scheme.toml": "database", "db-unreachable.toml": "database",
    "db-unknown-dialect.toml": "database", "db-bad-port.toml": "all", "db-no-folder.toml": "database",
}
ENVIRONMENTS = {
    "NEWSWATCH_LOG_LEVEL=LOUD": ({"NEWSWATCH_LOG_LEVEL": "LOUD"}, "all"),
    "NEWSWATCH_ALLOW_PRIVATE_NETWORKS=maybe": ({"NEWSWATCH_ALLOW_PRIVATE_NETWORKS": "maybe"}, "all"),
    "NEWSWATCH_NOTIFY_TARGETS=bad": ({"NEWSWATCH_NOTIFY_TARGETS": f"nonsense://user:{SECRET}@host"}, "alerts"),
    "NEWSWATCH_NOTIFY_TARGETS=no-url": ({"NEWSWATCH_NOTIFY_TARGETS": f"bob:{SECRET}@host"}, "all"),
    "NEWSWATCH_DATABASE_URL=no-url": ({"NEWSWATCH_DATABASE_URL": f"news:{SECRET}@host/db"}, "all"),
    "NEWSWATCH_CONFIG=missing": ({"NEWSWATCH_CONFIG": "/no/such/newswatch.toml"}, "all"),
    "NEWSWATCH_CONFIG=folder": ({"NEWSWATCH_CONFIG": "/"}, "all"),
    "NEWSWATCH_CONFIG=/dev/zero": ({"NEWSWATCH_CONFIG": "/dev/zero"}, "all"),
}


def _must_fail(command: str, which: str) -> bool:
    if command == "feedback":  # there is no match 1 in the good database either
        return True
    return {"all": True, "alerts": command in USES_TARGETS,
            "database": command not in NO_DATABASE}[which]


@pytest.mark.parametrize("command", sorted(BASE_ARGS))
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_hostile_configurations(files, config, command):
    args = ["--config", files[config], *command.split(), *BASE_ARGS[command]]
    check(invoke(args), _must_fail(command, CONFIGS[config]), command)


@pytest.mark.parametrize("command", sorted(BASE_ARGS))
@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_hostile_environments(files, name, command):
    environ, which = ENVIRONMENTS[name]
    config = [] if "NEWSWATCH_CONFIG" in environ else ["--config", files["good.toml"]]
    check(invoke([*config, *command.split(), *BASE_ARGS[command]], environ), _must_fail(command, which), command)


@pytest.mark.parametrize("command", sorted(BASE_ARGS))
def test_missing_and_unreadable_config_paths(files, command):
    for path in ("/no/such/newswatch.toml", files["root"], "/dev/zero"):
        check(invoke(["--config", path, *command.split(), *BASE_ARGS[command]]), True, command)


# ---------------------------------------------------------------------------- hostile arguments

def _generated_cases():
    """For each command, each number, duration, choice or checked path it takes: hostile values."""
    for command in sorted(BASE_ARGS):
        leaf = main
        for name in command.split():
            leaf = leaf.commands[name]
        base = BASE_ARGS[command]
        for param in leaf.params:
            kind = param.type
            if isinstance(kind, (click.types.IntParamType, click.IntRange)):
                values = HOSTILE_NUMBERS
            elif isinstance(kind, Duration):
                values = HOSTILE_DURATIONS
            elif isinstance(kind, click.Choice):
                values = ["bogus", ""]
            elif isinstance(kind, click.Path) and kind.exists:
                values = ["/no/such/path", "/dev/zero" if not kind.file_okay else "/"]
            else:
                continue
            for value in values:
                if isinstance(param, click.Option):
                    yield command, [*base, param.opts[0], value]
                else:  # an argument: in its place in the base invocation
                    position = [p for p in leaf.params if isinstance(p, click.Argument)].index(param)
                    yield command, [*base[:position], value, *base[position + 1:]]


GENERATED = list(_generated_cases())
EXTRA = [
    ("crawl", ["--source", "nosuch"]),
    ("crawl", ["--source", "x" * 100_000]),
    ("explain", [str(DOC), "--watch", "nosuch"]),
    ("explain", ["/no/such/file.html"]),
    ("explain", ["/"]),
    ("rematch", ["--watch", "nosuch"]),
    ("watch test", ["nosuch", "--examples", str(EXAMPLES)]),
    ("watch test", ["russia_pakistan_security", "--examples", "/"]),  # no relevant/ or irrelevant/
    ("watch export", ["nosuch", tempfile.gettempdir()]),
    ("watch export", ["russia_pakistan_security", "/dev/zero/labelled"]),  # cannot be made
    ("db upgrade", ["--revision", "nosuch"]),
    ("db upgrade", ["--revision", "-1"]),
    ("feedback", ["1", "maybe"]),
    ("feedback", []),
    ("matches", ["--format", "xml"]),
    ("matches", ["--bogus"]),
    ("alerts", ["--status", "bogus"]),
]
ARGUMENT_CASES = GENERATED + EXTRA


def test_the_generated_cases_cover_every_range_checked_parameter():
    covered = {command for command, _ in GENERATED}
    assert {"matches", "report", "rematch", "feedback", "alerts retry", "alerts", "watch test"} <= covered


@pytest.mark.parametrize("command, args", ARGUMENT_CASES, ids=[f"{c} {' '.join(a)[:60]}" for c, a in ARGUMENT_CASES])
def test_hostile_arguments(files, command, args):
    check(invoke(["--config", files["good.toml"], *command.split(), *args]), True, command)


# ---------------------------------------------------------------------------- watch files and explain URLs

@pytest.mark.parametrize("watch", [
    # slow: refusing NOT x 10,000 takes seconds on the first parse (pipelines/watch)
    pytest.param("with-nots.toml", marks=pytest.mark.slow),
    "with-parens.toml",
    "with-chain.toml",
])
@pytest.mark.parametrize("command", ["config check", "watch list", "explain", "rematch"])
def test_hostile_watch_files(files, watch, command):
    check(invoke(["--config", files[watch], *command.split(), *BASE_ARGS[command]]), True, command)


@pytest.mark.parametrize("url", [
    "http://a@127.0.0.1:80@example.invalid/",
    "http://127.0.0.1:99999/",
    "http://[::1/",
    "http://0x7f000001/",
    "http://exa mple.invalid/",
])
def test_hostile_explain_urls(files, url):
    check(invoke(["--config", files["good.toml"], "explain", url]))


# ---------------------------------------------------------------------------- as a real process

@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["--config", "/dev/zero", "matches"],
    ["matches", "--limit", "99999999999999999999"],
    ["--config", "{db-unreachable.toml}", "matches"],
    ["--config", "{bad-target.toml}", "crawl"],
], ids=" ".join)
def test_the_real_entry_point(files, args):
    args = [files[a[1:-1]] if a.startswith("{") else a for a in args]
    if args[0] != "--config":
        args = ["--config", files["good.toml"], *args]
    done = subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          check=False, timeout=60, cwd=files["root"])
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in output and SECRET not in output, output
    assert len(output.splitlines()) == 1, output

