"""The 40 XTREME languages and their families, plus languages registered at run time (the synthetic world's)."""

from __future__ import annotations

from replication.errors import ReplicationError

# The 40 XTREME languages by family, as docs/PAPER.md lists them. The two isolates stay separate groups so that a
# per-family aggregate never averages Basque with Korean as if they were related.
LANGUAGE_FAMILIES: dict[str, tuple[str, ...]] = {
    "Indo-European": (
        "af",
        "bg",
        "bn",
        "de",
        "el",
        "en",
        "es",
        "fa",
        "fr",
        "hi",
        "it",
        "mr",
        "nl",
        "pt",
        "ru",
        "ur",
    ),
    "Afro-Asiatic": ("ar", "he"),
    "Austro-Asiatic": ("vi",),
    "Austronesian": ("id", "jv", "ms", "tl"),
    "Dravidian": ("ml", "ta", "te"),
    "Japonic": ("ja",),
    "Kartvelian": ("ka",),
    "Kra-Dai": ("th",),
    "Niger-Congo": ("sw", "yo"),
    "Sino-Tibetan": ("my", "zh"),
    "Turkic": ("kk", "tr"),
    "Uralic": ("et", "fi", "hu"),
    "Isolate (Basque)": ("eu",),
    "Isolate (Korean)": ("ko",),
}
_FAMILY_OF = {lang: fam for fam, langs in LANGUAGE_FAMILIES.items() for lang in langs}
XTREME_LANGUAGES: tuple[str, ...] = tuple(sorted(_FAMILY_OF))


_EXTRA_FAMILY_OF: dict[str, str] = {}


def family_of(lang: str) -> str:
    """The language family of an XTREME language code (``"de"`` -> ``"Indo-European"``) or a registered one."""
    fam = _FAMILY_OF.get(lang) or _EXTRA_FAMILY_OF.get(lang)
    if fam is None:
        raise ReplicationError(
            f"unknown language {lang!r}: expected one of the 40 XTREME language codes ({', '.join(XTREME_LANGUAGES)})"
            " or a language registered with register_languages"
        )
    return fam


def register_languages(family: str, langs: list[str] | tuple[str, ...]) -> None:
    """Add non-XTREME languages to a family (the synthetic world's fake languages), for per-family tables."""
    for lang in langs:
        if lang in _FAMILY_OF and _FAMILY_OF[lang] != family:
            raise ReplicationError(
                f"{lang!r} is the XTREME language of family {_FAMILY_OF[lang]!r}, not {family!r}"
            )
        if lang not in _FAMILY_OF:
            _EXTRA_FAMILY_OF[lang] = family


def unregister_languages(langs: list[str] | tuple[str, ...]) -> None:
    """Forget languages added with `register_languages` (XTREME languages stay)."""
    for lang in langs:
        _EXTRA_FAMILY_OF.pop(lang, None)
