"""Our Rasa intent classifier (nlu/components/wegweiser_classifier.py), trained and loaded through
Rasa's own model storage in Rasa's environment (classifier_probe.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.understanding.service import COMPONENTS_DIR, NluProject, component_sources, rasa_environment

pytestmark = pytest.mark.rasa

PROBE = Path(__file__).with_name("classifier_probe.py")

TRAIN = [
    *[(t, "kita") for t in (
        "wie bekomme ich einen kitaplatz", "kita anmeldung osnabrück", "kindergarten platz finden",
        "where do i find a kindergarten place", "kita place for my son", "how to register for kita",
        "детский сад место", "как записать ребенка в детский сад",
    )],
    *[(t, "jobcenter") for t in (
        "jobcenter termin", "wer zahlt meine miete jobcenter", "bürgergeld beantragen",
        "how do i apply for buergergeld", "jobcenter appointment", "who pays my rent jobcenter",
        "джобцентр термин", "как подать на бюргергельд",
    )],
    *[(t, "greet") for t in (
        "hallo", "guten tag", "guten morgen", "hello", "hi there", "good morning", "привет", "здравствуйте",
    )],
]  # fmt: skip

# Not among the training questions: typos, missing words, another mix.
ASK = ["kitta platz", "jobcentr termin bitte", "hallo guten morgen", "детский садик", "buergergeld antrag"]
EXPECTED = ["kita", "jobcenter", "greet", "kita", "jobcenter"]


# Learnt only in Cyrillic and Arabic script (and German/English), asked in Latin letters as newcomers
# type them: transliterated Russian and Ukrainian, Arabizi, Finglish. The skeleton view reads them.
TRAIN_IN_THEIR_SCRIPT = [
    *[(t, "kita") for t in (
        "детский сад место", "как записать ребенка в детский сад", "місце в дитячому садку",
        "садочок для дитини запис", "روضة للاطفال تسجيل", "مهد کودک ثبت نام", "kita platz finden",
        "kindergarten place",
    )],
    *[(t, "jobcenter") for t in (
        "джобцентр термин", "джобцентр оплатит квартиру", "джобцентр платить за житло",
        "гроші від джобцентру", "جوب سنتر موعد", "جاب سنتر پول", "jobcenter termin", "who pays my rent jobcenter",
    )],
    *[(t, "greet") for t in (
        "привет", "здравствуйте", "привіт", "добрий день", "مرحبا", "سلام", "hallo", "good morning",
    )],
]  # fmt: skip
ASK_IN_LATIN_LETTERS = {
    "detskiy sad mesto": "kita",
    "dytiachyi sadok": "kita",
    "rawda lil atfal": "kita",
    "mahd kodak": "kita",
    "dzhobtsentr termin": "jobcenter",
    "dzhobtsentr platyt": "jobcenter",
    "job santer mow3ed": "jobcenter",
    "privet": "greet",
    "dobryi den": "greet",
    "marhaba": "greet",
}


def run_probe(
    nlu_project: NluProject, workdir: Path, train: list[tuple[str, str]], ask: list[str]
) -> dict[str, Any]:
    python = nlu_project.rasa_bin.with_name("python")
    completed = subprocess.run(
        [str(python), str(PROBE), str(COMPONENTS_DIR), str(workdir)],
        input=json.dumps({"train": train, "ask": ask}),
        capture_output=True,
        text=True,
        env=rasa_environment(),
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def probe(nlu_project: NluProject, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_probe(nlu_project, tmp_path_factory.mktemp("classifier"), TRAIN, ASK)


@pytest.fixture(scope="module")
def script_probe(nlu_project: NluProject, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_probe(
        nlu_project, tmp_path_factory.mktemp("scripts"), TRAIN_IN_THEIR_SCRIPT, list(ASK_IN_LATIN_LETTERS)
    )


def test_it_reads_unseen_misspelt_questions(probe: dict[str, Any]) -> None:
    assert [reading["intent"]["name"] for reading in probe["trained"]] == EXPECTED


def test_confidences_are_a_ranked_distribution(probe: dict[str, Any]) -> None:
    for reading in probe["trained"]:
        confidences = [item["confidence"] for item in reading["ranking"]]
        assert confidences == sorted(confidences, reverse=True)
        assert {item["name"] for item in reading["ranking"]} == {"kita", "jobcenter", "greet"}
        assert sum(confidences) == pytest.approx(1.0)
        assert reading["intent"] == reading["ranking"][0]
    # The temperature was fitted (not the starting value 1.0) and lies within the searched range.
    assert 0.02 <= probe["temperature"] <= 2.0 and probe["temperature"] != 1.0


def test_the_loaded_model_reads_exactly_as_the_trained_one(probe: dict[str, Any]) -> None:
    assert probe["loaded"] == probe["trained"]


def test_questions_in_latin_letters_learn_from_examples_in_their_own_script(
    script_probe: dict[str, Any],
) -> None:
    read = {
        text: reading["intent"]["name"]
        for text, reading in zip(ASK_IN_LATIN_LETTERS, script_probe["trained"], strict=True)
    }
    assert read == ASK_IN_LATIN_LETTERS
    assert script_probe["loaded"] == script_probe["trained"]


def test_rasa_finds_the_component_and_its_source_is_fingerprinted() -> None:
    assert str(COMPONENTS_DIR) in rasa_environment()["PYTHONPATH"].split(":")
    assert (COMPONENTS_DIR / "wegweiser_classifier.py").exists()
    assert (COMPONENTS_DIR / "script_skeleton.py") in component_sources()
    assert (
        "wegweiser_classifier.CharSvmIntentClassifier" in (COMPONENTS_DIR.parent / "config.yml").read_text()
    )
