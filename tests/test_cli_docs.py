"""Every command documents itself, and the README's CLI reference names every command."""
import click
import pytest

from crawler.cli import main
from tests.shared_data import PROJECT_ROOT


def all_commands(group: click.Group, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path + " ")


COMMANDS = list(all_commands(main))


@pytest.mark.parametrize("path, command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_has_help(path, command):
    assert command.help and len(command.help.strip()) > 20, f"`newswatch {path}` has no real help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name not in ("help",):
            assert param.help or param.type.name == "choice", f"`newswatch {path}` option {param.opts} has no help"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_readme_documents_command(path):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"newswatch {path}" in readme, f"README's CLI reference lacks `newswatch {path}`"
