"""The README stays true: every setting is in its table, and CI runs the test command it gives."""

from __future__ import annotations

import re
from pathlib import Path

from surveys.core.settings import settings_fields

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.M))
    assert documented == {env for env, _, _ in settings_fields()}


def test_ci_runs_the_readmes_test_command() -> None:
    commands = re.findall(r"```(?:sh|bash)\n(.*?)```", README, flags=re.S)
    assert len(commands) >= 2, "the README starts with two commands: the demo and the tests"
    test_command = commands[1].strip().splitlines()[-1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_procfile_has_web_and_scheduler() -> None:
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8")
    assert re.search(r"^web: ", procfile, flags=re.M) and re.search(
        r"^scheduler: phocap scheduler", procfile, flags=re.M
    )


def test_security_md_names_only_tests_files_and_settings_that_exist() -> None:
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    for name in set(re.findall(r"(?<![/\w])(test_\w+)\b(?!\.py)", security)):
        assert f"def {name}(" in sources, f"SECURITY.md names {name}, which no test defines"
    for path in set(re.findall(r"`((?:tests|surveys|server|scheduler)/[\w/.]+\.py)", security)):
        assert (ROOT / path).exists(), f"SECURITY.md names {path}, which does not exist"
    settings = {env for env, _, _ in settings_fields()}
    for name in set(re.findall(r"`([A-Z][A-Z_]{3,})`", security)) - {
        "CONSENT_NOTICE",
        "NOTICE_VERSION",
        "RULES",
    }:
        assert name in settings, f"SECURITY.md names the setting {name}, which does not exist"


def test_the_readme_names_the_vendored_scripts_where_they_are_with_their_versions() -> None:
    """htmx and Workbox: the path and the version the README gives are the files'."""
    htmx = re.search(r"htmx (\d+\.\d+\.\d+) \(`static/([\w./]+)`", README)
    assert htmx is not None, "the README names htmx's version and file"
    source = (ROOT / "web" / "static" / htmx.group(2)).read_text(encoding="utf-8")
    assert f'version:"{htmx.group(1)}"' in source
    workbox = re.search(r"Workbox (\d+\.\d+\.\d+) \(`static/([\w./]+)/`", README)
    assert workbox is not None, "the README names Workbox's version and folder"
    folder = ROOT / "web" / "static" / workbox.group(2)
    scripts = sorted(folder.glob("workbox-*.prod.js"))
    assert scripts, f"no Workbox script in {folder}"
    vendored = (folder / "README.md").read_text(encoding="utf-8")
    assert vendored.startswith(f"# Workbox {workbox.group(1)} (vendored)")
    for script in scripts:  # npm's 7.4.1 builds carry 7.4.0 in their strings: the minor must match
        strings = set(re.findall(r"workbox:\w+:(\d+\.\d+)\.\d+", script.read_text(encoding="utf-8")))
        assert strings == {workbox.group(1).rsplit(".", 1)[0]}, script.name


def test_every_section_of_a_doc_the_code_cites_exists() -> None:
    """A citation such as `docs/design.md §6` or `architecture.md §5` names a file of docs/ and one of its
    numbered headings; `DESIGN.md`, a planning note outside the repository, is not cited."""
    cited = re.compile(r"(?:docs/)?(\w+)\.md §(\d+)((?:, §\d+)*)")
    for source in [*ROOT.glob("[!.]*/**/*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md"]:
        if ".venv" in source.parts or source == Path(__file__):
            continue
        text = source.read_text(encoding="utf-8")
        assert "DESIGN.md" not in text, f"{source.relative_to(ROOT)} cites DESIGN.md: cite docs/design.md"
        for name, first, more in cited.findall(text):
            doc = ROOT / "docs" / f"{name}.md"
            assert doc.exists(), f"{source.relative_to(ROOT)} cites {name}.md, not in docs/"
            headings = set(re.findall(r"^## (\d+)\. ", doc.read_text(encoding="utf-8"), flags=re.M))
            for number in [first, *re.findall(r"\d+", more)]:
                assert number in headings, (
                    f"{source.relative_to(ROOT)} cites {name}.md §{number}, which it has not"
                )
