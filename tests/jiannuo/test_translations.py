"""Chinese first: every message of the catalogue is translated (nothing empty or fuzzy),
and the compiled catalogue is the one built from it."""
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "platform/jiannuo/locale/zh_Hans/LC_MESSAGES"


def _entries(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if "msgid" in block]


def test_every_message_is_translated():
    untranslated = []
    for block in _entries((CATALOGUE / "django.po").read_text(encoding="utf-8")):
        if block.lstrip().startswith("#~"):
            continue  # obsolete
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"Project' not in block:
            untranslated.append(block)
            continue
        lines = block.splitlines()
        msgid = next(i for i, line in enumerate(lines) if line.startswith("msgid "))
        if lines[msgid] == 'msgid ""' and (msgid + 1 == len(lines) or not lines[msgid + 1].startswith('"')):
            continue  # the header
        for i, line in enumerate(lines):
            if line.startswith(("msgstr ", "msgstr[")) and line.endswith('""') and (i + 1 == len(lines) or not lines[i + 1].startswith('"')):
                untranslated.append(block)
    assert not untranslated, "\n\n".join(untranslated[:5])


def test_the_compiled_catalogue_holds_every_message():
    import gettext

    compiled = gettext.GNUTranslations(open(CATALOGUE / "django.mo", "rb"))
    source = [b for b in _entries((CATALOGUE / "django.po").read_text(encoding="utf-8")) if not b.lstrip().startswith("#~")]
    missing = []
    for block in source:
        line = next(line for line in block.splitlines() if line.startswith("msgid "))
        msgid = line[len('msgid "'):-1]
        if msgid and "msgid_plural" not in block and '"\n"' not in block and compiled.gettext(msgid.replace('\\"', '"')) == msgid:
            missing.append(msgid)
    assert not missing, missing[:5]
