"""Our Rasa intent classifier (nlu/components/wegweiser_classifier.py), trained and loaded through
Rasa's own model storage in Rasa's environment (classifier_probe.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.understanding.service import COMPONENTS_DIR, NluProject, rasa_environment

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


@pytest.fixture(scope="module")
def probe(nlu_project: NluProject, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = nlu_project.rasa_bin.with_name("python")
    completed = subprocess.run(
        [str(python), str(PROBE), str(COMPONENTS_DIR), str(tmp_path_factory.mktemp("classifier"))],
        input=json.dumps({"train": TRAIN, "ask": ASK}),
        capture_output=True,
        text=True,
        env=rasa_environment(),
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


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


def test_rasa_finds_the_component_and_its_source_is_fingerprinted() -> None:
    assert str(COMPONENTS_DIR) in rasa_environment()["PYTHONPATH"].split(":")
    assert (COMPONENTS_DIR / "wegweiser_classifier.py").exists()
    assert (
        "wegweiser_classifier.CharSvmIntentClassifier" in (COMPONENTS_DIR.parent / "config.yml").read_text()
    )
