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
