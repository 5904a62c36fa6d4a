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


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path, settings, monkeypatch):
    """A sentence added to the code without its Chinese shows in English: extract the code's
    messages afresh (Django's makemessages, on a scratch copy of the source so the catalogue
    itself is never rewritten) and find each in the catalogue."""
    import re
    import shutil

    from django.core.management import call_command

    root = CATALOGUE.parents[4]
    copy = tmp_path / "src"
    skip = shutil.ignore_patterns(".*", "__pycache__", "*.mo", "*.egg-info", "tests", "deploy", "node_modules")
    shutil.copytree(root, copy, ignore=skip)
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / CATALOGUE.parent.parent.relative_to(root)]
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)

    def msgids(text: str) -> set[str]:
        found = set()
        for block in _entries(text):
            if block.lstrip().startswith("#~") or "\n#~ " in block:
                continue
            match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
            msgid = "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""
            if msgid:
                found.add(msgid)
        return found

    fresh = msgids((copy / CATALOGUE.relative_to(root) / "django.po").read_text(encoding="utf-8"))
    ours = msgids((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    assert len(fresh) > 300
    assert not sorted(fresh - ours), sorted(fresh - ours)[:10]


def test_translation_functions_keep_the_names_the_extractor_knows():
    """makemessages finds `_`, `gettext`, `gettext_lazy`, `gettext_noop`, … by name: a message
    marked through another name (`gettext_noop as N_`) never reaches the catalogue and shows in
    English (the ledger's Excel headers did)."""
    import ast

    root = CATALOGUE.parents[4]
    known = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
             "npgettext", "npgettext_lazy"}
    renamed = []
    for path in root.rglob("*.py"):
        if any(part.startswith(".") or part in ("tests", "deploy", "migrations") for part in path.relative_to(root).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                renamed += [f"{path.relative_to(root)}: {a.name} as {a.asname}" for a in node.names
                            if a.asname and a.asname not in known and a.name in known]
    assert not renamed, renamed


def test_djangos_form_errors_read_as_people_speak():
    """Django's own Chinese calls a text a 变量 ("variable") and a slug a 字段 ("field"); the
    console's forms say it plainly (the project's catalogue comes first)."""
    import pytest
    from django import forms
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as too_long:
            forms.CharField(max_length=5).clean("红星镇第一党支部")
        with pytest.raises(ValidationError) as not_a_code:
            forms.SlugField().clean("红星 县")
    assert too_long.value.messages == ["最多 5 个字（现有 8 个）。"]
    assert not_a_code.value.messages == ["请使用字母、数字、下划线或连字符。"]
