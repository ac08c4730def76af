"""The CLI as an operator meets it: explain, config check, the listing formats."""
import json

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.shared_data import PROJECT_ROOT, require_shared

SITE = PROJECT_ROOT / "tests" / "site"


def run(*args, env=None):
    result = CliRunner().invoke(main, list(args), env=env or {}, catch_exceptions=False)
    return result


def test_explain_shows_the_polish_forms_that_fired_the_seed():
    seed = require_shared("seed") / "warsaw-institute-russia-pakistan.pl.txt"
    result = run("explain", str(seed))
    assert result.exit_code == 0, result.output
    assert "FIRED" in result.output and "threshold" in result.output
    for form in ("Rosji", "Islamabadzie", "Patruszew", "Bajwy"):
        assert form in result.output
    assert "@" in result.output  # positions of the forms


def test_explain_a_near_miss_says_why_not():
    result = run("explain", str(SITE / "en" / "s400-india-deal.html"))
    assert result.exit_code == 0, result.output
    assert "did not fire" in result.output and "not met" in result.output


def test_explain_unknown_watch_is_an_error():
    result = run("explain", "--watch", "nope", str(SITE / "en" / "s400-india-deal.html"))
    assert result.exit_code == 1 and "no watch named 'nope'" in result.output


def test_config_check_names_the_bad_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "Dawn"\nurl = "https://dawn.com/feed"\ninterval = "soon"\n')
    result = run("--config", str(bad), "config", "check")
    assert result.exit_code == 1
    assert "interval" in result.output and "'soon'" in result.output and "Traceback" not in result.output


def test_config_check_hides_target_secrets(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n'
                    '[notify]\ntargets = ["mailto://user:sup3rs3cret@mail.example.org?to=a@example.org"]\n')
    result = run("--config", str(good), "config", "check")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "sup3rs3cret" not in result.output


@pytest.mark.slow
def test_a_bad_watch_file_is_reported_with_file_and_line(tmp_path):
    watch = tmp_path / "mine.toml"
    watch.write_text('[watch]\nname = "mine"\nthreshold = 1\n[groups.a]\nterms = ["alpha"]\n[[rules]]\nexpr = "a AND bogus"\n')
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n[watches]\npaths = ["{watch}"]\n')
    result = run("--config", str(config), "config", "check")
    assert result.exit_code == 1
    assert f"{watch}:7" in result.output and "bogus" in result.output


def test_matches_jsonl_on_an_empty_store(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    result = run("--config", str(config), "matches", "--format", "jsonl")
    assert result.exit_code == 0 and result.output == ""
    result = run("--config", str(config), "sources", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output) == []


@pytest.mark.slow
def test_explain_a_url_obeys_the_network_guard(tmp_path):
    from tests.mockserver import MockServer

    with MockServer() as server:
        page = server.url("/en/druzhba-exercise.html")
        guarded = tmp_path / "guarded.toml"
        guarded.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
        refused = run("--config", str(guarded), "explain", page)
        assert refused.exit_code == 1 and "loopback" in refused.output and "Traceback" not in refused.output

        redirect = server.url("/__redirect?to=" + page)  # redirects are followed (each hop checked)
        opened = tmp_path / "open.toml"
        opened.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/y.db"\n[crawl]\nallow_private_networks = true\n')
        allowed = run("--config", str(opened), "explain", redirect)
        assert allowed.exit_code == 0, allowed.output
        assert "FIRED" in allowed.output
        assert server.count("/en/druzhba-exercise.html") == 1  # the guarded run never fetched it


# ---------------------------------------------------------------------------- a bad target

BAD_TARGET = "nonsense://user:S3cretPassw0rd@host"
TARGET_COMMANDS = [["crawl"], ["notify"], ["run", "--once"], ["rematch", "--alert"]]


def _error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("where", ["file", "environment"])
@pytest.mark.parametrize("command", TARGET_COMMANDS, ids=" ".join)
def test_a_bad_target_stops_every_command_that_alerts_before_any_work(tmp_path, command, where):
    config = tmp_path / "c.toml"
    db = tmp_path / "x.db"
    targets = f'[notify]\ntargets = ["{BAD_TARGET}"]\n' if where == "file" else ""
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n{targets}')
    env = {"NEWSWATCH_NOTIFY_TARGETS": BAD_TARGET} if where == "environment" else {}
    check = run("--config", str(config), "config", "check", env=env)
    result = run("--config", str(config), *command, env=env)
    assert result.exit_code == 1 and check.exit_code == 1
    assert _error_line(result) == _error_line(check) == result.output.strip()
    assert "S3cretPassw0rd" not in result.output
    origin = str(config) if where == "file" else "$NEWSWATCH_NOTIFY_TARGETS"
    assert f"{origin}: notify.targets #1 (nonsense://****)" in result.output
    assert not db.exists(), "the command did work (made the database) before refusing the target"


@pytest.mark.parametrize("command", [
    ["matches"], ["sources"], ["report"], ["alerts"], ["alerts", "retry"], ["watch", "list"], ["rematch"],
    ["db", "upgrade"], ["explain", str(SITE / "en" / "s400-india-deal.html")],
    ["watch", "test", "russia_pakistan_security", "--examples",
     str(PROJECT_ROOT / "crawler" / "watchlists" / "examples" / "russia_pakistan_security")],
], ids=" ".join)
def test_commands_that_send_no_alerts_work_with_a_bad_target(tmp_path, command):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n[notify]\ntargets = ["{BAD_TARGET}"]\n')
    result = run("--config", str(config), *command)
    assert result.exit_code == 0, result.output
    assert "S3cretPassw0rd" not in result.output


def test_feedback_works_with_a_bad_target(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n[notify]\ntargets = ["{BAD_TARGET}"]\n')
    result = run("--config", str(config), "feedback", "1", "relevant")
    assert result.exit_code == 1 and result.output.strip() == "Error: no match with id 1"


# ---------------------------------------------------------------------------- ranges

@pytest.mark.parametrize("args", [
    ["matches", "--limit", "99999999999999999999"], ["matches", "--limit", "-1"], ["matches", "--limit", "0"],
    ["feedback", "99999999999999999999", "relevant"], ["feedback", "0", "relevant"],
    ["alerts", "retry", "99999999999999999999"], ["alerts", "retry", "1", "0"],
    ["matches", "--since", "99999999d"], ["report", "--since", "99999999d"], ["rematch", "--since", "99999999d"],
    ["matches", "--since", "soon"], ["matches", "--since", "0"], ["rematch", "--since", "-5m"],
], ids=" ".join)
def test_out_of_range_numbers_and_durations_are_one_line_usage_errors(tmp_path, args):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    result = run("--config", str(config), *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: Invalid value for") and result.output.count("\n") == 1, result.output


# ---------------------------------------------------------------------------- the database

def test_a_postgres_scheme_says_to_write_postgresql_psycopg(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[database]\nurl = "postgres://news:S3cretPassw0rd@127.0.0.1:1/news"\n')
    for command in (["matches"], ["config", "check"], ["db", "upgrade"]):
        result = run("--config", str(config), *command)
        assert result.exit_code == 1, result.output
        assert "postgresql+psycopg://" in _error_line(result) and "S3cretPassw0rd" not in result.output


def test_an_unreachable_database_is_one_line_saying_what_to_check(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://news:S3cretPassw0rd@127.0.0.1:1/news"\n')
    for command in (["matches"], ["db", "upgrade"], ["notify"]):
        result = run("--config", str(config), *command)
        assert result.exit_code == 1
        assert result.output.count("\n") == 1 and "not reachable" in result.output, result.output
        assert "check the host" in result.output and "S3cretPassw0rd" not in result.output
    check = run("--config", str(config), "config", "check")
    assert check.exit_code == 1 and "OK" not in check.output
    assert "sources: 0" in check.output  # the other checks still report
    assert check.output.splitlines()[-1].startswith("Error: database postgresql+psycopg://news:***@127.0.0.1:1/news is not reachable")


def test_a_missing_postgresql_driver_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as in the quick-start install, without [postgres]
    config = tmp_path / "c.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://news@127.0.0.1:1/news"\n')
    result = run("--config", str(config), "matches")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "pip install 'newswatch[postgres]'" in result.output


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/no/such/folder/x.db"\n')
    result = run("--config", str(config), "matches")
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "cannot be opened" in result.output


def test_db_upgrade_to_an_unknown_revision_is_one_line(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    result = run("--config", str(config), "db", "upgrade", "--revision", "nosuch")
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert "nosuch" in result.output and "leave --revision out" in result.output


def test_config_check_reports_the_schema_revision_without_creating_a_database(tmp_path):
    from crawler.app import head_revision

    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    fresh = run("--config", str(config), "config", "check")
    assert fresh.exit_code == 0 and "database schema: none yet" in fresh.output
    assert not (tmp_path / "x.db").exists()
    assert run("--config", str(config), "db", "upgrade").exit_code == 0
    upgraded = run("--config", str(config), "config", "check")
    assert f"database schema: at {head_revision()} (up to date)" in upgraded.output


def test_a_relative_sqlite_path_follows_the_config_file_not_the_current_folder(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    elsewhere = tmp_path / "elsewhere"
    conf.mkdir()
    elsewhere.mkdir()
    (conf / "newswatch.toml").write_text('[database]\nurl = "sqlite:///news.db"\n')
    monkeypatch.chdir(elsewhere)
    assert run("--config", str(conf / "newswatch.toml"), "matches").exit_code == 0
    assert (conf / "news.db").exists() and not (elsewhere / "news.db").exists()


def test_explain_of_a_file_that_never_ends_is_refused_not_read():
    result = run("explain", "/dev/zero")
    assert result.exit_code == 1 and "larger than 16 MiB" in result.output and "Traceback" not in result.output
