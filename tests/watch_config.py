"""A configuration whose only watch is one written by the test, on a given database."""
from pathlib import Path


def config_with_watch(directory: Path, watch_name: str, watch_text: str, database_url: str,
                      config_name: str = "c.toml") -> tuple[Path, Path]:
    """Write ``<watch_name>.toml`` and a configuration naming it alone (no bundled watches) on
    ``database_url``, both in ``directory``; returns (config path, watch path)."""
    watch_path = directory / f"{watch_name}.toml"
    watch_path.write_text(watch_text, encoding="utf-8")
    config = directory / config_name
    config.write_text(f'[database]\nurl = "{database_url}"\n[watches]\ninclude_bundled = false\n'
                      f'paths = ["{watch_path}"]\n', encoding="utf-8")
    return config, watch_path
