"""A refused diagram's problems in the reader's language.

``engine.definitions`` words each problem as a constant English template with
``{placeholders}`` and the values that fill it in (``Problem.template`` and
``Problem.params``). The templates are the message ids of the ``problems``
catalog, kept apart from the UI's ``messages`` catalog: ``translations/<lang>/
LC_MESSAGES/problems.po``, compiled to ``problems.mo`` by ``make catalogs``.

Nothing here needs Flask or a request: the web UI passes the user's language,
the command line may pass its own. A template without a translation, a
language without a catalog, or a translation that cannot be filled in gives
the engine's English message, never an error.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from engine.errors import Problem, fill

DOMAIN = "problems"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@lru_cache(maxsize=16)
def catalog(lang: str) -> NullTranslations:
    """The compiled problems catalog for ``lang`` (an empty one when there is none); read once."""
    return Translations.load(str(TRANSLATIONS), [lang], domain=DOMAIN)


def problem_text(problem: Problem, lang: str) -> str:
    """The problem's sentence in ``lang`` ("id", "en"...), without its location; English as the fallback."""
    template = problem.template or problem.message
    translated = catalog(lang).gettext(template) if lang and lang != "en" else template
    if translated == template:
        return problem.message
    if not problem.params and template == problem.message:
        return translated  # a plain message (Problem("...")), not a template: braces are literal
    return fill(translated, problem.params, fallback=problem.message)
