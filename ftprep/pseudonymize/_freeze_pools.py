"""Freeze the name pools used for fake people and companies into package data.

Run once (``python -m ftprep.pseudonymize._freeze_pools``) and commit the files
under ``ftprep/pseudonymize/_data/``. The pseudonymizer never calls Faker at run
time: a Faker upgrade therefore cannot change any fake. Regenerating the pools
changes fakes and must bump ``POOL_VERSION`` in ``pools.py``.

Names are taken from several Latin-script Faker locales, folded to ASCII,
de-duplicated and sorted, so the files do not depend on Faker's RNG.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

LOCALES = (
    "en_US", "en_GB", "en_CA", "en_AU", "en_IE", "de_DE", "fr_FR", "es_ES", "it_IT",
    "nl_NL", "sv_SE", "pl_PL", "pt_BR", "da_DK", "no_NO", "fi_FI", "cs_CZ", "pt_PT", "es_MX",
)
OUT = Path(__file__).with_name("_data")


def _ascii_name(name: str) -> str | None:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    if not folded.isalpha() or not 3 <= len(folded) <= 14:
        return None
    return folded[0].upper() + folded[1:].lower()


def collect() -> tuple[list[str], list[str]]:
    from faker import Faker  # only needed to (re)build the pools

    firsts: set[str] = set()
    lasts: set[str] = set()
    for locale in LOCALES:
        person = Faker(locale).provider("faker.providers.person")
        for attr in ("first_names", "first_names_male", "first_names_female"):
            for raw in getattr(person, attr, None) or ():
                name = _ascii_name(str(raw))
                if name:
                    firsts.add(name)
        for raw in getattr(person, "last_names", None) or ():
            name = _ascii_name(str(raw))
            if name:
                lasts.add(name)
    # A name in both pools would make "first" and "last" fakes ambiguous: keep it as first only.
    lasts -= firsts
    return sorted(firsts), sorted(lasts)


def main() -> None:
    import faker

    firsts, lasts = collect()
    OUT.mkdir(exist_ok=True)
    header = f"# frozen from Faker {faker.VERSION}; do not edit by hand\n"
    (OUT / "first_names.txt").write_text(header + "\n".join(firsts) + "\n", encoding="utf-8")
    (OUT / "last_names.txt").write_text(header + "\n".join(lasts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
