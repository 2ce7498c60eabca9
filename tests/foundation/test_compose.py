"""No Docker engine runs here: docker-compose.yml is checked against the settings and the Rasa pin."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.content.model import LANGUAGES
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _default_services() -> dict:  # type: ignore[type-arg]
    """What `docker compose up` starts without a profile."""
    return {name: service for name, service in _compose()["services"].items() if "profiles" not in service}


def test_services_and_health_checks() -> None:
    services = _default_services()
    assert set(services) == {"bot", "rasa", "postgres"}
    for name in ("rasa", "postgres"):
        assert "healthcheck" in services[name]
        assert services["bot"]["depends_on"][name]["condition"] == "service_healthy"
    assert services["bot"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_rasa_image_matches_pinned_version() -> None:
    pinned = re.search(r"^rasa==([\d.]+)$", (ROOT / "nlu/requirements.txt").read_text(), re.M)
    assert pinned is not None
    assert _compose()["services"]["rasa"]["image"] == f"rasa/rasa:{pinned.group(1)}-full"


def test_rasa_can_load_our_own_classifier() -> None:
    """The trained model names components from nlu/components; the Rasa container must import them."""
    rasa = _compose()["services"]["rasa"]
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in rasa["volumes"]}
    assert "./nlu/components" in mounts
    assert rasa["environment"]["PYTHONPATH"] == mounts["./nlu/components"]
    config = yaml.safe_load((ROOT / "nlu/config.yml").read_text())
    for component in config["pipeline"]:
        module = component["name"].rpartition(".")[0]
        if module:
            assert (ROOT / "nlu/components" / f"{module}.py").is_file(), component["name"]


def test_postgres_16_with_named_volume() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_bot_environment_uses_only_real_setting_names() -> None:
    known = {field.alias for field in Settings.model_fields.values()}
    environment = set(_compose()["services"]["bot"]["environment"])
    assert environment <= known, environment - known
    assert {"DATABASE_URL", "RASA_URL", "TELEGRAM_BOT_TOKEN"} <= environment
    assert _compose()["services"]["bot"]["environment"]["RASA_URL"].startswith("http://rasa:")
    assert _compose()["services"]["bot"]["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for field in Settings.model_fields.values():
        assert f"`{field.alias}`" in readme, field.alias


def test_machine_translation_is_a_profile_the_bot_uses_only_when_told() -> None:
    compose = _compose()
    translate = compose["services"]["translate"]
    assert translate["profiles"] == ["translate"]
    assert re.fullmatch(r"libretranslate/libretranslate:v\d+\.\d+\.\d+", translate["image"])  # pinned
    assert "ports" not in translate  # reachable from the bot only
    assert "healthcheck" in translate
    assert translate["volumes"][0].split(":")[0] in compose["volumes"]  # models survive a restart
    loaded = set(translate["environment"]["LT_LOAD_ONLY"].split(","))
    assert loaded <= set(LANGUAGES) and "ku" not in loaded
    bot = compose["services"]["bot"]
    # Unset unless .env names the service: without the profile nothing is translated or sent.
    assert bot["environment"]["TRANSLATE_URL"] == "${TRANSLATE_URL:-}"
    assert "translate" not in bot.get("depends_on", {})  # the bot runs without it
    readme = (ROOT / "README.md").read_text()
    assert "COMPOSE_PROFILES=translate" in readme and "TRANSLATE_URL=http://translate:5000" in readme
