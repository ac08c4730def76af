"""Configuration: where it comes from, environment overrides, and errors that name the key."""
from pathlib import Path

import pytest

from crawler import config as cfg
from crawler.config import ConfigError, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_defaults_load_and_have_multilingual_sources():
    config = cfg.load(cfg.BUNDLED_DEFAULTS, environ={})
    assert config.database.url == "sqlite:///newswatch.db"
    assert config.crawl.allow_private_networks is False
    assert {s.language for s in config.sources} >= {"en", "pl", "ru", "ur"}
    assert all(s.url.startswith("https://") for s in config.sources)
    assert config.notify.targets == () and config.notify.print_to_console


def test_lookup_order(tmp_path, monkeypatch):
    explicit = write(tmp_path, '[database]\nurl = "sqlite:///explicit.db"\n')
    from_env = tmp_path / "env.toml"
    from_env.write_text('[database]\nurl = "sqlite:///env.db"\n')
    assert cfg.locate(explicit, {"NEWSWATCH_CONFIG": str(from_env)}) == explicit
    assert cfg.locate(None, {"NEWSWATCH_CONFIG": str(from_env)}) == from_env
    monkeypatch.chdir(tmp_path)
    assert cfg.locate(None, {}) == Path("newswatch.toml")
    (tmp_path / "newswatch.toml").unlink()
    assert cfg.locate(None, {}) == cfg.BUNDLED_DEFAULTS


def test_environment_overrides_single_keys(tmp_path):
    path = write(tmp_path, '[database]\nurl = "sqlite:///file.db"\n[crawl]\nallow_private_networks = false\n')
    config = cfg.load(path, environ={
        "NEWSWATCH_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "NEWSWATCH_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSWATCH_NOTIFY_TARGETS": "json://127.0.0.1:9/x, mailto://a:b@example.org",
    })
    assert config.database.url == "postgresql+psycopg://u@h/db"
    assert config.crawl.allow_private_networks is True
    assert config.notify.targets == ("json://127.0.0.1:9/x", "mailto://a:b@example.org")


def test_sources_parse_with_intervals(tmp_path):
    path = write(tmp_path, """
[crawl]
default_interval = "45m"
[[sources]]
name = "Warsaw Institute"
kind = "feed"
url = "https://warsawinstitute.org/feed/"
interval = "15m"
language = "pl"
[[sources]]
name = "Listing"
kind = "listing"
url = "https://example.org/news/"
selector = "h2 a"
""")
    config = cfg.load(path, environ={})
    first, second = config.sources
    assert (first.name, first.kind, first.interval, first.language) == ("Warsaw Institute", "feed", 900, "pl")
    assert second.interval == 45 * 60 and second.selector == "h2 a"


@pytest.mark.parametrize("text, key, value", [
    ('[[sources]]\nname = "A"\nkind = "podcast"\nurl = "https://a.example/"\n', "kind", "podcast"),
    ('[[sources]]\nname = "A"\nurl = "ftp://a.example/"\n', "url", "ftp://a.example/"),
    ('[[sources]]\nname = "A"\nurl = "https://a.example/"\ninterval = "soon"\n', "interval", "soon"),
    ('[crawl]\nconcurrent_requests = 0\n', "crawl.concurrent_requests", 0),
    ('[crawl]\nallow_private_networks = "yes"\n', "crawl.allow_private_networks", "yes"),
    ('[crawl]\ndownload_dalay = 1\n', "crawl.download_dalay", 1),
    ('[notify]\ntargets = ["not a url"]\n', "notify.targets[0]", "not a url"),
    ('[database]\nurl = "newswatch.db"\n', "database.url", "newswatch.db"),
    ('[databse]\nurl = "sqlite://"\n', "databse", {"url": "sqlite://"}),
])
def test_errors_name_the_key_and_the_value(tmp_path, text, key, value):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        cfg.load(path, environ={})
    assert key in info.value.key
    assert info.value.value == value
    assert str(path) in str(info.value)


def test_duplicate_source_names_are_refused(tmp_path):
    path = write(tmp_path, '[[sources]]\nname = "A"\nurl = "https://a.example/"\n'
                           '[[sources]]\nname = "A"\nurl = "https://b.example/"\n')
    with pytest.raises(ConfigError, match="unique"):
        cfg.load(path, environ={})


def test_invalid_toml_is_a_config_error(tmp_path):
    path = write(tmp_path, "[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        cfg.load(path, environ={})


@pytest.mark.parametrize("text, seconds", [("15m", 900), ("2h", 7200), ("30s", 30), ("1d", 86400), (90, 90), ("500ms", 0.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "m15", "-5m", 0, True])
def test_bad_durations(bad):
    with pytest.raises(ConfigError):
        parse_duration(bad)
