"""Property-based fuzzing of the configuration loader: whatever the file or the dictionary holds,
``from_dict`` and ``load`` return a Config or raise ConfigError, whose message is one line, bounded,
and never shows a secret placed in the notify or database sections.

Examples are bounded (``max_examples``, 200 per property, 600 in all) so the fast lane stays fast.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler import config as cfg
from crawler.config import ConfigError

SECRET = "Zq7SecretToken"
# database=None: no .hypothesis/ folder in the checkout; failures print their example anyway
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# The keys the loader knows, so most examples get past the first unknown-key check and reach the
# value checks; plus a few it does not know.
KEYS = {
    "database": ["url"],
    "crawl": ["allow_private_networks", "user_agent", "obey_robots_txt", "download_delay", "concurrent_requests",
              "concurrent_requests_per_host", "download_timeout", "max_response_bytes", "max_redirects",
              "retry_times", "retry_after_max", "default_interval", "max_articles_per_source", "process_workers"],
    "notify": ["targets", "console", "max_attempts", "backoff_initial", "backoff_max", "batch_size", "lease",
               "min_interval", "operator_targets", "source_failure_threshold"],
    "watches": ["include_bundled", "paths"],
    "daemon": ["tick", "notify_interval", "log_level", "shutdown_grace"],
}
SOURCE_KEYS = ["name", "kind", "url", "interval", "language", "selector", "enabled", "max_articles"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["15m", "2h", "0", "-1s", "99999999d", "1e400", "nan", "inf", "sqlite:///x.db",
                     "https://a.example/feed", "feed", "listing", "en", "DEBUG", "mailto://a:b@c", "/dev/zero",
                     "sqlite://", "postgresql+psycopg://u@h:port/db", "\x00", "a\nb"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def section(keys):
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=10), values, max_size=6)


configs = st.fixed_dictionaries({}, optional={
    **{name: section(keys) | values for name, keys in KEYS.items()},
    "sources": st.lists(st.dictionaries(st.sampled_from(SOURCE_KEYS), values, max_size=8), max_size=3) | values,
}) | st.dictionaries(st.text(max_size=10), values, max_size=3)


def assert_one_bounded_line(exc: ConfigError) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message
    assert len(message) < 2000


@FUZZ
@given(configs)
def test_from_dict_raises_only_config_errors(raw):
    try:
        cfg.from_dict(raw)
    except ConfigError as exc:
        assert_one_bounded_line(exc)


secret_values = st.sampled_from([
    f"mailto://bob:{SECRET}@smtp.example.org", f"bob:{SECRET}@smtp.example.org",
    f"postgresql+psycopg://u:{SECRET}@h:port/db", f"postgres://u:{SECRET}@h/db", SECRET,
])
secret_configs = st.tuples(
    st.sampled_from(["notify", "database"]),
    st.sampled_from(KEYS["notify"] + KEYS["database"] + ["target", "urll"]),
    secret_values,
    st.sampled_from(["as is", "in a list", "in a table", "section is the value"]),
)


@FUZZ
@given(secret_configs)
def test_no_config_error_shows_a_secret_from_notify_or_database(case):
    section_name, key, secret, shape = case
    value = {"as is": secret, "in a list": [secret, 1], "in a table": {"x": secret}}.get(shape)
    raw = {section_name: secret} if shape == "section is the value" else {section_name: {key: value}}
    try:
        cfg.from_dict(raw)
    except ConfigError as exc:
        assert SECRET not in str(exc)


toml_lines = st.lists(st.one_of(
    st.sampled_from(["[database]", "[crawl]", "[notify]", "[watches]", "[daemon]", "[[sources]]", "[[sources]",
                     'url = "sqlite:///x.db"', 'name = "A"', 'url = "https://a.example/"', "interval = inf",
                     'targets = "mailto://a:b@c"', "x = [[[[", 'log_level = "LOUD"', "max_attempts = 1e9",
                     "concurrent_requests = 99999999999999999999", 'paths = ["/dev/zero"]']),
    st.text(max_size=40),
), max_size=12)


environments = st.dictionaries(st.sampled_from(sorted(cfg.ENV_OVERRIDES)), st.text(max_size=30), max_size=3)


encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "iso-8859-2", "cp1251"])
files = st.tuples(toml_lines, encodings).map(lambda t: "\n".join(t[0]).encode(t[1], errors="replace")) | st.binary()


@FUZZ
@given(files, environments)
def test_load_of_any_file_and_environment_raises_only_config_errors(tmp_path_factory, content, environ):
    path = tmp_path_factory.getbasetemp() / "fuzz.toml"
    path.write_bytes(content)
    try:
        cfg.load(path, environ=environ)
    except ConfigError as exc:
        assert_one_bounded_line(exc)

