"""content/catalogue.yaml is the shipped copy of shared/topics.yaml: ids and flags stay in step.

shared/ is read-only to this project. A topic we add first is marked `shared: proposed` in our copy
until it appears in shared/topics.yaml; then the mark has to go.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "topics.yaml"
CATALOGUE = ROOT / "content" / "catalogue.yaml"


def _topics(path: Path) -> dict[str, dict[str, object]]:
    return {t["id"]: t for t in yaml.safe_load(path.read_text("utf-8"))["topics"]}


def _flags(topic: dict[str, object]) -> tuple[object, object]:
    return topic.get("place"), topic.get("care")


@pytest.mark.skipif(not SHARED.exists(), reason="shared/ is not beside this checkout")
def test_catalogue_matches_shared_topics() -> None:
    ours, shared = _topics(CATALOGUE), _topics(SHARED)
    proposed = {topic_id for topic_id, topic in ours.items() if topic.get("shared") == "proposed"}

    assert {topic_id: _flags(t) for topic_id, t in ours.items() if topic_id not in proposed} == {
        topic_id: _flags(t) for topic_id, t in shared.items()
    }
    assert proposed & shared.keys() == set(), "now in shared/topics.yaml: drop `shared: proposed`"
