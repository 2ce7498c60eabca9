"""Fixtures shared by the whole suite: a small valid content base and a database of each kind."""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.content.loader import load
from bot.content.model import LANGUAGES, ContentBase
from bot.settings import PROJECT_ROOT
from bot.storage import migrate
from bot.storage.database import Database
from bot.understanding import crisis

POSTGRES_URL = os.environ.get(
    "WEGWEISER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

FIXTURE_TOPICS = {
    "registration": {"place": True, "category": "arrival"},
    "emergency": {"place": False, "category": "health", "care": "urgent"},
}


def _examples(topic: str, language: str) -> list[str]:
    return [f"{topic} {language} question {n}" for n in range(12)]


def fixture_topic(topic: str) -> dict[str, object]:
    return {
        "id": topic,
        "version": 2,
        "owner": "redaktion-test",
        "verified_on": "2026-11-01",
        "places": ["office_city", "office_district"] if FIXTURE_TOPICS[topic]["place"] else ["hotline"],
        "related": [other for other in FIXTURE_TOPICS if other != topic],
        "sources": [
            {
                "url": "https://example.org/source",
                "seen": "2026-11-01",
                "date": "2025",
                "status": ["OFFICIAL"],
            }
        ],
        "translations": {
            language: {
                "source_version": 2,
                "machine": language != "de",
                "title": f"{topic} title {language}",
                "short": f"{topic} short in {language}.",
                "answer": f"<b>{topic}</b> answer in {language}.",
                "for_stadt": f"city note {language}",
                "for_landkreis": f"district note {language}",
                "examples": _examples(topic, language),
            }
            for language in LANGUAGES
        },
    }


FIXTURE_PLACES = {
    "office_city": {
        "id": "office_city",
        "name": "City Office",
        "kind": "office",
        "regions": ["stadt_osnabrueck"],
        "address": {"text": "Marktplatz 1, 49074 Osnabrück", "as_of": "2021-06", "check": True},
        "phones": [{"number": "0541 323-0", "label": "general"}],
        "hours": {"mon": ["08:00-12:00"], "thu": ["14:00-18:00"]},
        "sources": [{"url": "https://example.org/city", "seen": "2026-11-01"}],
        "verified_on": "2026-11-01",
    },
    "office_district": {
        "id": "office_district",
        "name": "District Office",
        "kind": "office",
        "regions": ["landkreis"],
        "appointment_url": "https://example.org/book",
        "hours": {"appointment_only": True},
        "sources": [{"url": "https://example.org/district", "seen": "2026-11-01"}],
        "verified_on": "2026-11-01",
    },
    "hotline": {
        "id": "hotline",
        "name": "Notruf 112",
        "kind": "helpline",
        "regions": ["all"],
        "phones": [{"number": "112", "label": "emergency"}],
        "hours": {"always": True},
        "sources": [{"url": "https://example.org/112", "seen": "2026-11-01"}],
        "verified_on": "2026-11-01",
    },
}

FIXTURE_REGIONS = {
    "regions": [
        {
            "id": "stadt_osnabrueck",
            "name": "Stadt Osnabrück",
            "area": "stadt",
            "kind": "stadt",
            "spellings": ["Osnabrueck"],
        },
        {
            "id": "sg_bersenbrueck",
            "name": "Samtgemeinde Bersenbrück",
            "area": "landkreis",
            "kind": "samtgemeinde",
            "members": [{"name": "Ankum"}, {"name": "Bersenbrück"}],
        },
    ]
}


def write_content(directory: Path) -> Path:
    """A small, valid content base in the real layout; tests break one thing at a time."""
    (directory / "topics").mkdir(parents=True)
    (directory / "places").mkdir()
    catalogue = {
        "topics": [
            {
                "id": topic,
                "title": topic,
                "place": meta["place"],
                **({"care": meta["care"]} if "care" in meta else {}),
            }
            for topic, meta in FIXTURE_TOPICS.items()
        ],
        "categories": {"arrival": ["registration"], "health": ["emergency"]},
    }

    def dump(data: object, path: Path) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    dump(catalogue, directory / "catalogue.yaml")
    dump(FIXTURE_REGIONS, directory / "regions.yaml")
    for place_id, place in FIXTURE_PLACES.items():
        dump(place, directory / "places" / f"{place_id}.yaml")
    for topic in FIXTURE_TOPICS:
        dump(fixture_topic(topic), directory / "topics" / f"{topic}.yaml")
    # The real crisis statements: the semantic safety net needs enough of them in every language.
    shutil.copytree(PROJECT_ROOT / "content" / "safety", directory / "safety")
    return directory


def write_content_with_city_spellings(directory: Path) -> Path:
    """The test content, with the city's Cyrillic and Arabic-script spellings of the real content."""
    write_content(directory)
    regions = copy.deepcopy(FIXTURE_REGIONS)
    regions["regions"][0]["spellings"] += ["Оснабрюк", "أوسنابروك", "اوسنابروک"]
    (directory / "regions.yaml").write_text(yaml.safe_dump(regions, allow_unicode=True), "utf-8")
    return directory


@pytest.fixture(scope="session", autouse=True)
def crisis_nets(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The crisis nets that tests train for their own small content bases live apart from the real
    one (nlu/models), in pytest's cache, with the embeddings the real training already computed."""
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    folder = Path(cache.mkdir("wegweiser-crisis-nets")) if cache else tmp_path_factory.mktemp("crisis")
    real = PROJECT_ROOT / "nlu" / "models" / crisis.EMBEDDINGS_FILE
    if real.exists() and not (folder / crisis.EMBEDDINGS_FILE).exists():
        shutil.copy(real, folder / crisis.EMBEDDINGS_FILE)
    before = os.environ.get(crisis.MODELS_DIR_VARIABLE)
    os.environ[crisis.MODELS_DIR_VARIABLE] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(crisis.MODELS_DIR_VARIABLE, None)
    else:
        os.environ[crisis.MODELS_DIR_VARIABLE] = before


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content(tmp_path / "content")


@pytest.fixture(scope="session")
def real_content() -> ContentBase:
    """The project's own content/ (frozen, so one load serves every test)."""
    return load(PROJECT_ROOT / "content")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    import asyncio

    import asyncpg

    name = f"wegweiser_test_{uuid.uuid4().hex[:10]}"
    admin = make_url(POSTGRES_URL)
    dsn = f"postgresql://{admin.username or 'postgres'}@{admin.host}:{admin.port or 5432}/{admin.database}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    try:
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        pytest.fail(f"PostgreSQL is not reachable at {dsn} ({error}); start it (see README)")
    yield admin.set(database=name).render_as_string(hide_password=False)
    asyncio.run(execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'wegweiser.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")
        migrate.downgrade(url, "base")  # every test starts from an empty schema
    migrate.upgrade(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()
