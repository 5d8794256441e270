"""The Thai catalogue is complete and safe to render: every message translated, none left
fuzzy (makemessages' guesses are often another message's text), and no translation asks for
a placeholder its message does not give (that would raise KeyError when the page renders)."""

import re
from pathlib import Path

import polib

THAI = Path(__file__).resolve().parents[2] / "locale" / "th" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _entries():
    return [entry for entry in polib.pofile(str(THAI)) if not entry.obsolete]


def test_every_thai_message_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 500
    untranslated = [e.msgid for e in entries if not (e.msgstr or any(e.msgstr_plural.values()))]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_thai_translations_use_only_the_placeholders_of_their_message():
    wrong = []
    for entry in _entries():
        given = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if set(PLACEHOLDER.findall(text)) - given:
                wrong.append((entry.msgid, text))
    assert wrong == []
