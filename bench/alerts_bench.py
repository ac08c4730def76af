"""Alert delivery under a burst: N matches due at once for two targets (a JSON webhook and an SMTP
server, both real and local), delivered the old way and the new way in the same run.

    .venv/bin/python bench/alerts_bench.py [--alerts 51] [--old-pace 5.5]

- old: one message per alert, targets served one after the other, each message paced by
  Apprise's default throttle (``--old-pace``: 5.5 s for email and generic JSON in Apprise 2.3),
  as newswatch delivered before digests and per-target workers;
- paced: targets served at once, each at its channel's pace (no pause for the webhook, 2 s for
  email), one message per alert (digests off): what per-target workers alone give;
- new: the defaults: as paced, and a burst of more than five alerts for one target sent as one
  digest.

Prints the wall time, messages received and alerts carried for each, and the ratio. Both runs
must carry every alert to every target exactly once (exit status 1 otherwise).
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from pipelines.db import make_engine, session_factory, upgrade  # noqa: E402
from pipelines.models import Alert, Article, Match, Source  # noqa: E402
from pipelines.outbox import Delivery, DeliverySettings, create_alerts  # noqa: E402
from pipelines.targets import TargetSet, load_target  # noqa: E402
from tests.alert_servers import smtp_server, webhook_server  # noqa: E402


def seed(sessions, targets, count: int) -> None:
    with sessions() as session:
        source = Source(name="Bench News", kind="feed", url="https://bench.example/feed", interval_seconds=600)
        for n in range(count):
            article = Article(source=source, url=f"https://bench.example/a/{n}", canonical_url=f"https://bench.example/a/{n}",
                              content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
                              title=f"Story {n}: Russia and Pakistan hold security talks", text="text " * 50,
                              language="en")
            match = Match(article=article, watch="russia_pakistan_security", score=12.0 + n % 7, threshold=10.0,
                          terms=[{"term": "Pakistan", "form": "Pakistan", "group": "country"}], rules=["pair"],
                          snippet="Russia and Pakistan held security talks in Islamabad.", detail={})
            session.add(match)
            session.flush()
            create_alerts(session, match, targets)
        session.commit()


def run(mode: str, count: int, old_pace: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp, webhook_server() as hook, smtp_server() as smtp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        targets = [load_target(hook.url("/bench")), load_target(smtp.url())]
        if mode == "old":
            targets = [replace(t, pace=old_pace, burst=10**9) for t in targets]
        elif mode == "paced":
            targets = [replace(t, burst=10**9) for t in targets]
        seed(sessions, targets, count)
        delivery = Delivery(sessions, TargetSet(tuple(targets)), DeliverySettings(batch_size=count))
        started = time.monotonic()
        if mode == "old":  # one target after the other
            for target in targets:
                while delivery._serve(target.key).sent:
                    pass
        else:
            delivery.drain()
        seconds = time.monotonic() - started
        with sessions() as session:
            unsent = session.scalar(select(func.count()).select_from(Alert).where(Alert.status != "sent"))
        engine.dispose()
        return {"seconds": seconds, "messages": len(hook.requests) + len(smtp.messages), "unsent": unsent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=51, help="matches due at once (each for both targets)")
    parser.add_argument("--old-pace", type=float, default=5.5, help="seconds between messages, the old way")
    args = parser.parse_args()
    results = {mode: run(mode, args.alerts, args.old_pace) for mode in ("new", "paced", "old")}
    for mode, r in results.items():
        print(f"{mode}: {2 * args.alerts} alerts to 2 targets in {r['seconds']:.1f} s, "
              f"{r['messages']} messages, {r['unsent']} unsent")
    print(f"old/new: {results['old']['seconds'] / results['new']['seconds']:.0f}x, "
          f"old/paced: {results['old']['seconds'] / results['paced']['seconds']:.1f}x")
    return 0 if all(r["unsent"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
