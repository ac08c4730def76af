"""The near-duplicate signature index finds exactly what comparing with every signature finds.

``SignatureIndex`` (a vectorised XOR and popcount over the window) and ``RecentSignatures`` (the
index filled from the database) must give the same (distance, id) candidates as the loop they
replaced, on random signatures (Hypothesis: any mix of adds, removals, expiry and look-ups) and on
the SimHash of real texts and their edited copies.
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from pipelines.dedup import NEAR_DUPLICATE_BITS, SignatureIndex, hamming, simhash, to_signed64
from pipelines.models import Article
from pipelines.store import RecentSignatures
from tests.shared_data import require_shared

U64 = st.integers(min_value=0, max_value=2**64 - 1)


def linear(entries: dict[int, tuple[int, float]], query: int, bits: int = NEAR_DUPLICATE_BITS,
           since: float | None = None, exclude: int | None = None) -> list[tuple[int, int]]:
    """The loop the index replaced: every signature compared with the query."""
    return sorted((d, key) for key, (signature, when) in entries.items()
                  if key != exclude and (since is None or when >= since)
                  and (d := hamming(query, signature)) <= bits)


def near(base: int, flips: list[int]) -> int:
    for bit in flips:
        base ^= 1 << bit
    return base


# one step: ("add", key, signature, time) / ("remove", key) / ("expire", time) / ("query", signature, bits, since)
steps = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 60), U64, st.floats(0, 100, allow_nan=False)),
    st.tuples(st.just("near"), st.integers(0, 60), st.lists(st.integers(0, 63), max_size=20),
              st.floats(0, 100, allow_nan=False)),
    st.tuples(st.just("remove"), st.integers(0, 60)),
    st.tuples(st.just("expire"), st.floats(0, 100, allow_nan=False)),
    st.tuples(st.just("query"), U64, st.integers(0, 64), st.one_of(st.none(), st.floats(0, 100, allow_nan=False))),
    st.tuples(st.just("query-near"), st.lists(st.integers(0, 63), max_size=24), st.integers(0, 60)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=80))
def test_index_answers_as_the_loop_whatever_the_history(history):
    index, model = SignatureIndex(), {}
    for step in history:
        kind = step[0]
        if kind in ("add", "near"):
            key = step[1]
            signature = step[2] if kind == "add" else near(model.get(key - 1, (0x0123456789ABCDEF, 0))[0], step[2])
            signed = kind == "near" and key % 2  # signed and unsigned forms of a signature are one signature
            index.add(key, to_signed64(signature) if signed else signature, step[3])
            model[key] = (signature, step[3])
        elif kind == "remove":
            index.remove(step[1])
            model.pop(step[1], None)
        elif kind == "expire":
            index.remove_before(step[1])
            model = {k: v for k, v in model.items() if v[1] >= step[1]}
        elif kind == "query":
            assert index.within(step[1], step[2], step[3]) == linear(model, step[1], step[2], step[3])
        else:
            base = model[min(model)][0] if model else 0
            query = near(base, step[1])
            assert index.within(query, exclude=step[2]) == linear(model, query, exclude=step[2])
        assert len(index) == len(model)


def test_index_grows_compacts_and_bulk_loads():
    rng = random.Random(7)
    index, model = SignatureIndex(), {}
    entries = [(k, rng.getrandbits(64), float(k)) for k in range(5000)]
    index.extend(entries[:3000])
    for key, signature, when in entries[3000:]:
        index.add(key, signature, when)
    model = {k: (s, w) for k, s, w in entries}
    index.remove_before(4000.0)  # most of the window expires: the arrays are compacted
    model = {k: v for k, v in model.items() if v[1] >= 4000.0}
    for _ in range(50):
        query = near(rng.choice(entries)[1], rng.sample(range(64), rng.randint(0, 20)))
        assert index.within(query) == linear(model, query)
    assert len(index) == len(model) == 1000


def real_texts() -> list[str]:
    import json

    data = require_shared("article-extraction-benchmark")
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return [entry["articleBody"] for _, entry in sorted(truth.items()) if len(entry.get("articleBody") or "") > 600]


def edited(text: str, rng: random.Random) -> str:
    """Another site's copy: a dateline, a sentence dropped or two words changed, a closing line."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if len(sentences) > 4 and rng.random() < 0.5:
        del sentences[rng.randrange(1, len(sentences) - 1)]
    words = " ".join(sentences).split(" ")
    for _ in range(rng.randint(0, 6)):
        words[rng.randrange(len(words))] = rng.choice(["said", "reported", "officials", "Tuesday"])
    return "ISLAMABAD (Agency) - " + " ".join(words) + " Reporting by Staff; editing by Desk."


def test_index_and_database_window_answer_as_the_loop_on_real_texts(sessions):
    rng = random.Random(20261129)
    texts = real_texts()
    now = datetime.now(timezone.utc)
    rows, signatures = [], {}
    for i, text in enumerate(texts):
        for copy, variant in enumerate([text, edited(text, rng), edited(text, rng)]):
            signature = simhash(variant)
            if signature is None:
                continue
            key = len(rows) + 1
            rows.append(dict(id=key, url=f"https://s{copy}.example/{i}", canonical_url=f"https://s{copy}.example/{i}",
                             content_hash=f"{key:064x}", text=variant, content_origin="page", discovered_via="feed",
                             fetched_at=now - timedelta(hours=key % 150), simhash=to_signed64(signature)))
            signatures[key] = (signature, 0.0)
    with sessions() as session:
        session.execute(insert(Article), rows)
        session.commit()
    index = SignatureIndex()
    index.extend([(k, s, 0.0) for k, (s, _) in signatures.items()])
    recent = RecentSignatures()
    found = 0
    with sessions() as session:
        for key, (signature, _) in list(signatures.items())[::3]:
            expected = linear(signatures, signature, exclude=key)
            assert index.within(signature, exclude=key) == expected
            assert recent.within(session, signature, now - timedelta(days=7), exclude=key) == expected
            found += bool(expected)
    assert found >= len(texts) // 2, "the edited copies should be candidates of their originals"
