"""The Simplified Chinese catalogues are complete: every message extracted has a reviewed
translation (nothing empty, nothing fuzzy), with the same placeholders as its source."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def messages(domain: str):
    with (LOCALE / f"{domain}.po").open("rb") as handle:
        catalog = read_po(handle)
    return [message for message in catalog if message.id]


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(strings)


def test_every_message_has_a_reviewed_translation():
    found = messages("django")
    assert found, "the catalogue is empty"
    untranslated = [message.id for message in found if message.fuzzy or not translated(message)]
    assert untranslated == []


def test_translations_keep_their_placeholders():
    broken = []
    for message in messages("django"):
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple | list) else [message.string]
        for target in targets:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
                # Plural forms may drop the count in Chinese; named placeholders must stay.
                named = [p for p in PLACEHOLDER.findall(source) if "(" in p]
                if sorted(named) != sorted(p for p in PLACEHOLDER.findall(target) if "(" in p):
                    broken.append((source, target))
    assert broken == []
