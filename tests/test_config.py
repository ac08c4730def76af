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


# ---------------------------------------------------------------------------- secrets in errors

SECRET = "S3cretPassw0rd"


@pytest.mark.parametrize("text, environ", [
    (f'[notify]\ntargets = "mailto://bob:{SECRET}@smtp.example.org"\n', {}),
    (f'[notify]\noperator_targets = "mailto://bob:{SECRET}@smtp.example.org"\n', {}),
    (f'[notify]\ntargets = ["bob:{SECRET}@smtp.example.org"]\n', {}),           # not a URL
    (f'[notify]\ntarget = ["mailto://bob:{SECRET}@smtp.example.org"]\n', {}),   # a typo of the key
    (f'[notify]\nbackoff_max = "mailto://bob:{SECRET}@smtp.example.org"\n', {}),
    (f'notify = "mailto://bob:{SECRET}@smtp.example.org"\n', {}),              # not a table
    (f'[notfy]\ntargets = ["mailto://bob:{SECRET}@smtp.example.org"]\n', {}),  # a typo of the section
    (f'database = "postgresql+psycopg://user:{SECRET}@db.example.org/news"\n', {}),
    (f'[database]\nurll = "postgresql+psycopg://user:{SECRET}@db.example.org/news"\n', {}),
    (f'[database]\nurl = "postgresql+psycopg://user:{SECRET}@db.example.org:port/news"\n', {}),
    ("", {"NEWSWATCH_NOTIFY_TARGETS": f"bob:{SECRET}@smtp.example.org"}),
    ("", {"NEWSWATCH_DATABASE_URL": f"user:{SECRET}@db.example.org/news"}),
])
def test_config_errors_never_echo_a_secret(tmp_path, text, environ):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        cfg.load(path, environ=environ)
    message = str(info.value)
    assert SECRET not in message and "bob" not in message and "user:" not in message, message
    assert "\n" not in message


def test_a_masked_value_still_says_its_type_and_scheme(tmp_path):
    path = write(tmp_path, f'[notify]\ntargets = "mailto://bob:{SECRET}@smtp.example.org"\n')
    with pytest.raises(ConfigError, match=r"notify.targets = <str mailto://\*\*\*\*>: expected list"):
        cfg.load(path, environ={})


# ---------------------------------------------------------------------------- bounded, UTF-8 files

@pytest.mark.parametrize("content", [
    "[notify]\n# Zażółć gęślą jaźń\n".encode("iso-8859-2"),
    '[database]\nurl = "sqlite:///x.db"\n'.encode("utf-16"),
    bytes(range(256)) * 4,
])
def test_a_config_that_is_not_utf8_names_the_file(tmp_path, content):
    # a long path (deep folders are common) is named whole, not clipped like a hostile value
    folder = tmp_path / ("a-folder-with-a-long-name-" * 4)
    folder.mkdir()
    path = folder / "latin.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        cfg.load(path, environ={})
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeff[database]\nurl = "sqlite:///x.db"\n'.encode("utf-8"))
    assert cfg.load(path, environ={}).database.url == f"sqlite:///{tmp_path}/x.db"


def test_config_files_are_read_bounded(tmp_path):
    huge = tmp_path / "huge.toml"
    huge.write_text("# padding\n" * 200_000)  # 2 MB of comments: valid TOML, but no config is that big
    for path in (huge, Path("/dev/zero")):
        with pytest.raises(ConfigError, match="larger than 1 MiB"):
            cfg.load(path, environ={})


def test_unreadable_and_deeply_nested_configs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read it"):
        cfg.load(tmp_path, environ={})  # a folder
    nested = write(tmp_path, "x = " + "[" * 50_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        cfg.load(nested, environ={})


def test_a_watch_path_must_be_a_regular_file(tmp_path):
    path = write(tmp_path, '[watches]\npaths = ["/dev/zero"]\n')
    with pytest.raises(ConfigError, match="not a regular file"):
        cfg.load(path, environ={})


# ---------------------------------------------------------------------------- bounded values

@pytest.mark.parametrize("bad", ["99999999d", 10**400, float("inf"), float("nan"), "1" * 400])
def test_durations_have_an_upper_bound(bad):
    with pytest.raises(ConfigError):
        parse_duration(bad)


@pytest.mark.parametrize("text", [
    "[crawl]\nconcurrent_requests = 99999999999999999999\n",
    "[notify]\nbatch_size = 3000000000\n",
    "[crawl]\ndownload_delay = inf\n",
    "[crawl]\ndownload_delay = nan\n",
    "[crawl]\nprocess_workers = 100000\n",
    '[[sources]]\nname = "A"\nurl = "https://a.example/"\ninterval = "99999999d"\n',
])
def test_numbers_out_of_any_sane_range_are_refused(tmp_path, text):
    with pytest.raises(ConfigError):
        cfg.load(write(tmp_path, text), environ={})


# ---------------------------------------------------------------------------- paths and origins

def test_a_relative_sqlite_path_is_relative_to_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "newswatch.toml"
    path.write_text('[database]\nurl = "sqlite:///data/news.db"\n')
    monkeypatch.chdir(tmp_path)
    assert cfg.load("conf/newswatch.toml", environ={}).database.url == f"sqlite:///{folder}/data/news.db"
    # absolute paths, memory and URI-style SQLite URLs stay as written
    for url in (f"sqlite:///{tmp_path}/abs.db", "sqlite://", "sqlite:///:memory:"):
        path.write_text(f'[database]\nurl = "{url}"\n')
        assert cfg.load(path, environ={}).database.url == url


def test_the_bundled_defaults_and_the_environment_keep_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cfg.load(None, environ={}).database.url == "sqlite:///newswatch.db"  # the quick start's ./newswatch.db
    path = write(tmp_path, '[database]\nurl = "sqlite:///file.db"\n')
    config = cfg.load(path, environ={"NEWSWATCH_DATABASE_URL": "sqlite:///env.db"})
    assert config.database.url == "sqlite:///env.db"


@pytest.mark.parametrize("environ, origin", [
    ({"NEWSWATCH_LOG_LEVEL": "LOUD"}, "$NEWSWATCH_LOG_LEVEL"),
    ({"NEWSWATCH_ALLOW_PRIVATE_NETWORKS": "maybe"}, "$NEWSWATCH_ALLOW_PRIVATE_NETWORKS"),
    ({"NEWSWATCH_NOTIFY_OPERATOR_TARGETS": "nourl"}, "$NEWSWATCH_NOTIFY_OPERATOR_TARGETS"),
    ({"NEWSWATCH_DATABASE_URL": "nourl"}, "$NEWSWATCH_DATABASE_URL"),
    ({"NEWSWATCH_CONFIG": "nope.toml"}, "$NEWSWATCH_CONFIG"),
])
def test_errors_name_the_environment_variable_that_set_the_value(tmp_path, monkeypatch, environ, origin):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        cfg.load(None, environ=environ)
    message = str(info.value)
    assert message.startswith(origin), message
    assert "defaults.toml" not in message and "--config" not in message


def test_a_bad_target_from_the_environment_is_named_as_such(tmp_path):
    from pipelines.targets import TargetError

    path = write(tmp_path, "")
    config = cfg.load(path, environ={"NEWSWATCH_NOTIFY_TARGETS": f"nonsense://user:{SECRET}@host"})
    with pytest.raises(TargetError) as info:
        config.load_targets()
    assert str(info.value).startswith("$NEWSWATCH_NOTIFY_TARGETS: notify.targets #1")
    assert SECRET not in str(info.value)
    config = cfg.load(write(tmp_path, '[notify]\noperator_targets = ["nonsense://x"]\n'), environ={})
    with pytest.raises(TargetError, match=f"^{path}: notify.operator_targets #1"):
        config.load_targets()
