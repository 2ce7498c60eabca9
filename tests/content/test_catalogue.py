"""content/catalogue.yaml is the shipped copy of shared/topics.yaml: ids and flags stay in step."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "topics.yaml"


@pytest.mark.skipif(not SHARED.exists(), reason="shared/ is not beside this checkout")
def test_catalogue_matches_shared_topics() -> None:
    def flags(path: Path) -> dict[str, tuple[object, object]]:
        data = yaml.safe_load(path.read_text("utf-8"))
        return {t["id"]: (t.get("place"), t.get("care")) for t in data["topics"]}

    assert flags(ROOT / "content" / "catalogue.yaml") == flags(SHARED)
