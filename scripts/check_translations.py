#!/usr/bin/env python
"""Translation catalogues: check they are complete, or bring them up to date.

    python scripts/check_translations.py           # fail if a string lacks zh-Hans or en
    python scripts/check_translations.py --update  # extract new strings into the .po files

The check extracts the strings from the source into a scratch copy (Django's makemessages,
which needs GNU gettext's xgettext), so it fails both when the catalogues miss a string the
code uses and when a catalogue entry is empty or fuzzy. English entries repeat the source text.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "huike"
LOCALES = ("zh_Hans", "en")
IGNORE = ["static/*", "locale/*", "*/tests/*", "conftest.py", "settings/test.py"]


def catalogue_path(base: Path, locale: str) -> Path:
    return base / "locale" / locale / "LC_MESSAGES" / "django.po"


def extract(into: Path) -> None:
    """Run makemessages over a copy of the source tree rooted at ``into``."""
    command = [sys.executable, "-m", "django", "makemessages", "--no-obsolete", "--no-location"]
    for locale in LOCALES:
        command += ["-l", locale]
    for pattern in IGNORE:
        command += ["-i", pattern]
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "DJANGO_SETTINGS_MODULE": ""}
    subprocess.run(command, cwd=into, check=True, env=env, stdout=subprocess.DEVNULL)


def fill_english(path: Path) -> None:
    """English is the source language: every entry repeats its source text.

    makemessages may guess a "fuzzy" match from a similar old string; for English that guess
    is always wrong, so every entry is reset to its msgid.
    """
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = (message.id[0], message.id[1])
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    catalog.fuzzy = False  # pybabel silently skips a catalogue whose header is fuzzy
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)


def problems(path: Path, expected_ids: set) -> list[str]:
    found = []
    with path.open("rb") as handle:
        catalog = read_po(handle)
    present = {message.id for message in catalog if message.id}
    if catalog.fuzzy:
        found.append(f"{path.relative_to(ROOT)}: header marked fuzzy (it would not compile)")
    for missing in sorted(expected_ids - present, key=str):
        found.append(f"{path.relative_to(ROOT)}: missing {missing!r}")
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags or not all(strings):
            found.append(f"{path.relative_to(ROOT)}: untranslated {message.id!r}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update", action="store_true", help="write new strings into the catalogues"
    )
    args = parser.parse_args()
    if shutil.which("xgettext") is None:
        print("GNU gettext is needed: apt-get install gettext", file=sys.stderr)
        return 2
    if args.update:
        extract(SOURCE)
        fill_english(catalogue_path(SOURCE, "en"))
        print("Catalogues updated; translate the empty zh_Hans entries, then run make check.")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "huike"
        shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("dist", "__pycache__", "*.mo"))
        extract(copy)
        with catalogue_path(copy, LOCALES[0]).open("rb") as handle:
            expected = {message.id for message in read_po(handle) if message.id}
    issues = []
    for locale in LOCALES:
        path = catalogue_path(SOURCE, locale)
        if not path.exists():
            issues.append(f"{path.relative_to(ROOT)}: no catalogue (run make messages)")
            continue
        issues += problems(path, expected)
    for issue in issues:
        print(issue)
    if issues:
        print(f"{len(issues)} translation problems; run 'make messages' and translate.")
        return 1
    print("Translations complete: {} strings in {}.".format(len(expected), ", ".join(LOCALES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
