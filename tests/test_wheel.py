"""A built wheel works on its own: installed (not editable) into a fresh virtualenv, its `newswatch`
migrates SQLite and PostgreSQL, checks its configuration, lists the bundled watch and crawls.

The checkout's files (tracked, plus new files git does not ignore) are copied to a temp folder and
built there, so no build/ or *.egg-info lands in the checkout. The fresh virtualenv gets only the
wheel; the dependencies come from this test run's site-packages through a `.pth` path line (a path
line only: the editable install's `.pth` hooks there are not run, so the checkout's `crawler` and
`pipelines` cannot leak in). Every command runs from an empty folder, as an operator would.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mockserver import MockServer
from tests.shared_data import PROJECT_ROOT

pytestmark = pytest.mark.slow

BUNDLED_WATCH = "russia_pakistan_security"


@dataclass
class Installed:
    files: list[str]  # the source files the wheel was built from
    wheel: Path
    venv: Path
    python: Path
    newswatch: Path
    site_packages: Path

    def run(self, cwd: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        """`newswatch ARGS` from the empty folder CWD: it must succeed and write nothing there."""
        cwd.mkdir()
        result = ok(_run([str(self.newswatch), *args], cwd=cwd, env=clean_env(), timeout=timeout),
                    f"newswatch {' '.join(args)}")
        left = sorted(p.name for p in cwd.iterdir())
        assert not left, f"newswatch {' '.join(args)} left files in its working directory: {left}"
        return result


def clean_env() -> dict[str, str]:
    """The environment without anything that would point newswatch or Python at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NEWSWATCH_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (
        f"{what} exited {result.returncode}\n$ {' '.join(map(str, result.args))}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
    )
    return result


def source_files() -> list[str]:
    """The checkout's files as git sees them: tracked (as in the work tree) plus untracked, not ignored."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot tell the repository's files from build debris")
    result = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT)
    if result.returncode != 0:
        pytest.skip(f"not a git checkout ({result.stderr.strip()}): cannot list the repository's files")
    # a tracked file deleted in the work tree (someone's uncommitted move) is not part of the build
    return sorted({name for name in result.stdout.split("\0") if name and (PROJECT_ROOT / name).is_file()})


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    files = source_files()
    root = tmp_path_factory.mktemp("wheel")
    copy = root / "src"
    for name in files:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target)

    dist = root / "dist"
    ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(copy)], cwd=root),
       "building the wheel")
    wheels = list(dist.glob("newswatch-*.whl"))
    assert len(wheels) == 1, f"expected one newswatch wheel in {dist}, found {sorted(p.name for p in dist.iterdir())}"

    venv = root / "venv"
    # no pip of its own (ensurepip costs seconds): this run's pip installs into it with --python
    ok(_run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root), "creating the virtualenv")
    python = venv / "bin" / "python"
    ok(_run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheels[0])],
            cwd=root), "installing the wheel")
    site_packages = Path(ok(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 cwd=root), "asking the virtualenv for its site-packages").stdout.strip())
    assert site_packages.is_dir(), f"no site-packages in the fresh virtualenv: {site_packages!r}"
    # the dependencies: this run's site-packages, as a plain path line
    (site_packages / "newswatch-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return Installed(files, wheels[0], venv, python, venv / "bin" / "newswatch", site_packages)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(PROJECT_ROOT / "alembic")).get_current_head()


def write_config(path: Path, db_url: str, sources: str = "") -> Path:
    path.write_text(f'[database]\nurl = "{db_url}"\n\n{sources}', encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- what the wheel holds

def test_wheel_holds_every_module_and_data_file_and_the_migrations(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    files = installed.files
    expected = {f for f in files if f.startswith(("crawler/", "pipelines/")) and f.endswith(".py")}
    expected |= {f for f in files if f.startswith("crawler/watchlists/")}
    expected |= {"crawler/defaults.toml", "pipelines/watch/lemmas.json"}
    expected |= {"pipelines/migrations/" + f.removeprefix("alembic/") for f in files if f.startswith("alembic/")}
    missing = sorted(expected - names)
    assert not missing, (f"the wheel lacks {len(missing)} files (a new package not listed in pyproject's "
                         f"[tool.setuptools] packages, or package-data?): {missing[:20]}")
    assert "pipelines/migrations/env.py" in names and "pipelines/migrations/script.py.mako" in names
    # nothing at the top level but the two packages: an `alembic/` there would shadow the library
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"crawler", "pipelines"}, f"unexpected top-level entries in the wheel: {sorted(top)}"


def test_the_fresh_virtualenv_imports_the_wheel_not_the_checkout(installed, tmp_path):
    script = ("import crawler, pipelines, alembic\n"
              "from pipelines import db\n"
              "print(crawler.__file__); print(pipelines.__file__); print(db.migrations_dir()); print(alembic.__file__)")
    result = ok(_run([str(installed.python), "-c", script], cwd=tmp_path, env=clean_env()),
                "importing the installed packages")
    crawler_file, pipelines_file, migrations, alembic_file = result.stdout.split()
    venv = installed.venv.resolve()
    assert Path(pipelines_file).resolve().is_relative_to(venv), f"pipelines imported from {pipelines_file}, not {venv}"
    assert Path(crawler_file).resolve().is_relative_to(venv), f"crawler imported from {crawler_file}, not {venv}"
    assert Path(migrations) == (installed.site_packages / "pipelines" / "migrations").resolve(), migrations
    assert not Path(alembic_file).resolve().is_relative_to(venv), f"the alembic library is shadowed by {alembic_file}"


# ---------------------------------------------------------------------------- the console script

def test_db_upgrade_on_sqlite(installed, tmp_path):
    db_file = tmp_path / "newswatch.db"
    config = write_config(tmp_path / "newswatch.toml", f"sqlite:///{db_file}")
    result = installed.run(tmp_path / "cwd", "--config", str(config), "db", "upgrade")
    assert f"database at revision {head_revision()}" in result.stdout, result.stdout
    with closing(sqlite3.connect(db_file)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "articles", "matches", "alerts", "crawl_runs"} <= tables, sorted(tables)


def test_db_upgrade_on_postgresql(installed, tmp_path):
    from tests.conftest import postgres_schema

    with postgres_schema() as (url, conn, schema):  # skips with the reason, or fails under CI=true
        config = write_config(tmp_path / "newswatch.toml", url)
        result = installed.run(tmp_path / "cwd", "--config", str(config), "db", "upgrade")
        assert f"database at revision {head_revision()}" in result.stdout, result.stdout
        assert conn.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchall() == [(head_revision(),)]
        tables = {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))}
        assert {"sources", "articles", "matches", "alerts", "crawl_runs"} <= tables, sorted(tables)


def test_config_check_and_watch_list_see_the_bundled_watch(installed, tmp_path):
    config = write_config(tmp_path / "newswatch.toml", f"sqlite:///{tmp_path / 'nw.db'}")
    check = installed.run(tmp_path / "cwd", "--config", str(config), "config", "check")
    assert check.stdout.rstrip().endswith("OK"), check.stdout
    assert f"watches: {BUNDLED_WATCH}" in check.stdout, check.stdout

    listing = installed.run(tmp_path / "cwd2", "--config", str(config), "watch", "list")
    lines = [line for line in listing.stdout.splitlines() if line.startswith(BUNDLED_WATCH + " ")]
    assert lines, f"the bundled watch {BUNDLED_WATCH} is not listed:\n{listing.stdout}"
    assert str(installed.venv) in lines[0], f"the bundled watch is not the installed one: {lines[0]}"


def test_run_once_crawls_a_local_site_into_sqlite(installed, tmp_path):
    db_file = tmp_path / "newswatch.db"
    with MockServer() as server:
        sources = (
            "[crawl]\nallow_private_networks = true\ndownload_delay = 0\n\n"
            f'[[sources]]\nname = "Atom feed"\nurl = "{server.url("/feeds/atom.xml")}"\n'
        )
        config = write_config(tmp_path / "newswatch.toml", f"sqlite:///{db_file}", sources)
        result = installed.run(tmp_path / "cwd", "--config", str(config), "run", "--once")
        assert server.count("/feeds/atom.xml") >= 1, "the crawl never fetched the feed"

    with closing(sqlite3.connect(db_file)) as conn:
        runs = conn.execute("SELECT status, articles_new FROM crawl_runs").fetchall()
        urls = [row[0] for row in conn.execute("SELECT url FROM articles")]
        matched = [row[0] for row in conn.execute(
            "SELECT a.url FROM matches m JOIN articles a ON a.id = m.article_id")]
    output = f"\n--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
    assert runs and runs[0][0] == "finished", f"crawl runs: {runs}{output}"
    assert len(urls) >= 3 and runs[0][1] == len(urls), f"articles stored: {urls}; runs: {runs}{output}"
    # the bundled watch (and its lemma table, package data) flagged the relevant article
    assert any(url.endswith("/en/karachi-lahore-pipeline.html") for url in matched), f"matches: {matched}{output}"
    # with no alert target configured, the alert went to the console
    assert "/en/karachi-lahore-pipeline.html" in result.stdout, f"no console alert for the match{output}"
