"""Language identification for extracted article text (py3langid, fully offline)."""
from __future__ import annotations

import re
from functools import cache

# Below this many letters the classifier is guessing ("Putin" comes out as Quechua).
MIN_LETTERS = 20
# Normalised probability under which we trust the hint (or say nothing) instead.
MIN_CONFIDENCE = 0.5
# The first 2,000 characters decide the language; classifying more only costs time (py3langid's
# cost grows with the text: 2.3 ms at 10,000 characters, 1.1 ms at 2,000). Measured with
# bench/extraction_options.py: on the 181 benchmark pages and the 144 development-set texts (12
# languages) the 2,000-character prefix gives the whole text's answer on every page but one, where
# the whole text said Bikol ('bcl', not ISO 639-1) and the prefix English.
MAX_CHARS = 2_000

_HINT = re.compile(r"^\s*([a-zA-Z]{2})(?:$|[-_\s])")


@cache
def _identifier():
    # Our own identifier (not py3langid's module-level one) so that probabilities are
    # normalised to 0..1 and nobody else's set_languages() call changes our results.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def normalise_hint(hint: str | None) -> str | None:
    """'en-US', 'pl_PL', 'DE' -> 'en', 'pl', 'de'; anything else -> None."""
    match = _HINT.match(hint or "")
    return match.group(1).lower() if match else None


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; the (normalised) hint when the text is too short or unclear."""
    hint = normalise_hint(hint)
    prefix = text[:MAX_CHARS] if text else ""
    if sum(ch.isalpha() for ch in prefix) < MIN_LETTERS:
        return hint
    code, confidence = _identifier().classify(prefix)
    # 'zxx' (no linguistic content) and other non-two-letter labels are not ISO 639-1.
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return hint
    return code
