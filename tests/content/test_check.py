"""`wegweiser content check`: each class of editor mistake is reported at its file and line."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.content.loader import ContentError, check, load

TODAY = date(2026, 11, 21)


def replace_in(path: Path, old: str, new: str) -> int:
    """Edit a fixture file like an editor would; returns the 1-based line of the edit."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), "utf-8")
    return line


def errors(directory: Path) -> list[str]:
    content, problems = check(directory, today=TODAY)
    found = [str(p) for p in problems if p.severity == "error"]
    assert (content is None) == bool(found)
    return found


def test_fixture_content_is_valid(content_dir: Path) -> None:
    content = load(content_dir)
    assert set(content.topics) == {"registration", "emergency"}
    assert content.resolve_region("ankum").id == "sg_bersenbrueck"  # type: ignore[union-attr]
    assert content.resolve_region("OSNABRUECK").id == "stadt_osnabrueck"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "topics/registration.yaml",
            "- emergency\n",
            "- no_such_topic\n",
            "related topic 'no_such_topic' does not exist",
        ),
        ("topics/registration.yaml", "  ku:\n", "  xx:\n", "unknown language 'xx'"),
        (
            "topics/registration.yaml",
            "- office_city\n",
            "- office_nowhere\n",
            "place 'office_nowhere' is referenced but not defined",
        ),
        ("places/office_city.yaml", "0541 323-0", "call 0541", "malformed phone number"),
        ("places/office_district.yaml", "https://example.org/book", "example.org/book", "malformed URL"),
        ("places/office_city.yaml", "08:00-12:00", "8 to 12", "unparsable opening hours"),
        ("places/office_city.yaml", "14:00-18:00", "18:00-14:00", "unparsable opening hours"),
        ("topics/emergency.yaml", "<b>emergency</b> answer in de.", "x" * 2100, "de: answer has 2"),
        # the short answer a phone user reads first: required, at most 450 visible characters
        ("topics/registration.yaml", "    short: registration short in uk.\n", "", "uk: 'short' is missing"),
        (
            "topics/emergency.yaml",
            "emergency short in fa.",
            "x" * 451,
            "fa: short has 451 visible characters",
        ),
        ("topics/emergency.yaml", "emergency short in ar.", "<i>ok</b>", "ar: closing </b> does not match"),
        (
            "topics/emergency.yaml",
            "<b>emergency</b> answer in tr",
            "<div>emergency</div> answer in tr",
            "tr: tag <div> is not allowed",
        ),
        (
            "topics/registration.yaml",
            "registration en question 3",
            "Emergency EN question 4?",
            "also stands under topic 'emergency'",
        ),
        (
            "places/hotline.yaml",
            "sources:\n- url: https://example.org/112\n  seen: '2026-11-01'\n",
            "sources: []\n",
            "no source",
        ),
        (
            "topics/emergency.yaml",
            "    - emergency ru question 0\n",
            "",
            "ru: 11 example questions, at least 12 needed",
        ),
        ("places/office_city.yaml", "stadt_osnabrueck", "atlantis", "unknown region 'atlantis'"),
        # a value of the wrong shape is a problem at its line, not a crash of the check
        ("catalogue.yaml", "  health:\n  - emergency\n", "  health: 5\n", "'health' must be a list"),
        (
            "regions.yaml",
            "  - Osnabrueck\n",
            "  - {city: Osnabrueck}\n",
            "'spellings' must be a list of texts",
        ),
        ("topics/emergency.yaml", "- hotline\n", "- [hotline]\n", "a place must be a place id"),
        (
            "topics/emergency.yaml",
            "  status:\n  - OFFICIAL\n",
            "  status: OFFICIAL\n",
            "'status' must be a list",
        ),
        (
            "topics/registration.yaml",
            "verified_on: '2026-11-01'",
            "verified_on: 'soon'",
            "'verified_on' is not a date",
        ),
        # the crisis statements the semantic safety net learns from
        ("safety/crisis.yaml", "\ncalm:\n", "\nquiet:\n", "unknown kind 'quiet'"),
        ("safety/crisis.yaml", "    ku:\n", "    xx:\n", "unknown language 'xx'"),
        (
            "safety/crisis.yaml",
            "      - i want to kill myself, i cant take this anymore\n",
            "      - I wish I was dead!\n",
            "statement 'I wish I was dead!' also stands at emergency.suicide:",
        ),
        (
            "safety/crisis.yaml",
            "      - i wish i was dead\n",
            "      - " + "x" * 301 + "\n",
            "longer than 300",
        ),
        ("safety/crisis.yaml", "      - i wish i was dead\n", "      - 112\n", "a statement must be text"),
        # the urgent-keyword net
        ("safety/keywords.yaml", "\nviolence:\n", "\nviolent:\n", "unknown key 'violent'"),
        ("safety/keywords.yaml", "    notarzt\n", "    not$arzt\n", "'not$arzt': marks are =, * before"),
        ("safety/keywords.yaml", "    notarzt\n", "    Notruf\n", "'Notruf' repeats line"),
        (
            "safety/keywords.yaml",
            "    frauenhaus\n",
            "    frauenhaus\n    116 016\n",
            "'116 016' repeats line",
        ),
        ("safety/keywords.yaml", "  any: |\n", "  xx: |\n", "unknown language 'xx'"),
        ("safety/keywords.yaml", "    - kein notfall\n", "    - 5\n", "a phrase must be text"),
    ],
)
def test_each_error_class_names_file_and_line(
    content_dir: Path, file: str, old: str, new: str, message: str
) -> None:
    path = content_dir / file
    replace_in(path, old, new)
    found = errors(content_dir)
    matching = [e for e in found if message in e]
    assert matching, found
    location = re.match(r"^(content/[\w/.]+):(\d+): ", matching[0])
    assert location is not None and location.group(1) == f"content/{file}"
    line_text = path.read_text("utf-8").splitlines()[int(location.group(2)) - 1]
    assert line_text.strip(), "the reported line is empty"


def test_crisis_statements_are_required_in_every_language(content_dir: Path) -> None:
    path = content_dir / "safety" / "crisis.yaml"
    text = path.read_text("utf-8")
    kept = [line for line in text.splitlines(keepends=True) if "- " not in line or "calm" in line]
    path.write_text("".join(kept), "utf-8")  # every statement gone
    found = errors(content_dir)
    assert any("crisis.yaml:" in e and "emergency: ku has 0 statements, at least 15" in e for e in found), (
        found
    )
    path.unlink()
    assert any("content/safety/crisis.yaml:1: missing" in e for e in errors(content_dir))


def test_the_keyword_net_is_required_with_a_list_for_every_language(content_dir: Path) -> None:
    path = content_dir / "safety" / "keywords.yaml"
    replace_in(path, "  ku: |\n", "  ku-old: |\n")
    assert any("keywords.yaml:" in e and "emergency: no list for ku" in e for e in errors(content_dir))
    path.unlink()
    assert any("content/safety/keywords.yaml:1: missing" in e for e in errors(content_dir))


def test_missing_language_is_reported(content_dir: Path) -> None:
    path = content_dir / "topics" / "emergency.yaml"
    text = path.read_text("utf-8")
    start = text.index("  fa:\n")
    end = text.index("  ku:\n")
    path.write_text(text[:start] + text[end:], "utf-8")
    assert any("emergency.yaml:" in e and "language 'fa' is missing" in e for e in errors(content_dir))


def test_yaml_syntax_error_points_at_its_line(content_dir: Path) -> None:
    path = content_dir / "places" / "hotline.yaml"
    path.write_text("id: hotline\nname: [unclosed\nkind: helpline\n", "utf-8")
    found = errors(content_dir)
    assert any(re.match(r"content/places/hotline.yaml:[23]: YAML syntax", e) for e in found), found


def test_outdated_translation_and_old_verification_are_warnings(content_dir: Path) -> None:
    path = content_dir / "topics" / "registration.yaml"
    replace_in(path, "version: 2\n", "version: 3\n")
    text = path.read_text("utf-8").replace(
        "    source_version: 2\n", "    source_version: 3\n", 1
    )  # de first
    path.write_text(text.replace("verified_on: '2026-11-01'", "verified_on: '2025-01-01'"), "utf-8")
    content, problems = check(content_dir, today=TODAY)
    assert content is not None
    warnings = [str(p) for p in problems if p.severity == "warning"]
    assert any("en: translation is outdated" in w for w in warnings)
    assert any("over 12 months old" in w for w in warnings)
    assert content.topics["registration"].translation_state("en") == "outdated"
    assert content.topics["registration"].translation_state("de") == "up to date"


def test_load_refuses_invalid_content(content_dir: Path) -> None:
    replace_in(content_dir / "places" / "office_city.yaml", "0541 323-0", "phone me")
    with pytest.raises(ContentError):
        load(content_dir)


def test_cli_check_exit_codes_and_output(content_dir: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check", str(content_dir)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout
    replace_in(content_dir / "places" / "office_city.yaml", "0541 323-0", "phone me")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check", str(content_dir)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert re.search(
        r"^content/places/office_city.yaml:\d+: malformed phone number 'phone me'$", bad.stdout, re.M
    )


def test_cli_status_json(content_dir: Path) -> None:
    import json

    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "status", "--json", str(content_dir)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["topics"]["registration"]["de"] == "up to date"
    assert report["topics"]["registration"]["uk"] == "machine-made"
    assert report["due_for_review"] == []


@pytest.mark.parametrize("action", ["check", "status"])
def test_a_folder_that_is_no_content_folder_is_one_line_and_exit_2(tmp_path: Path, action: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", action, str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"wegweiser: {tmp_path / 'nowhere'} is not a content folder (no topics/ in it)\n"
