"""A pytest plugin: the tests of modules that set ``RESTARTS_POSTGRES = True`` run after every other test.

Restarting the machine's PostgreSQL cuts every open connection, so those tests go last, where
they disturb nothing else in the run. Loaded by the modules that need it (``pytest_plugins``).
"""
from __future__ import annotations


def pytest_collection_modifyitems(session, config, items):
    # stable sort: the order is otherwise kept
    items.sort(key=lambda item: bool(getattr(getattr(item, "module", None), "RESTARTS_POSTGRES", False)))
