"""The help pages and UI strings in English and Brazilian Portuguese."""

from __future__ import annotations

import re

import pytest

from kafkatui.tui.i18n import LANGUAGES, UI, detect_language, help_pages, help_text, other_language, t
from kafkatui.tui.screens.welcome import WELCOME

PAGES = (
    "overview",
    "cluster",
    "topics",
    "log",
    "produce",
    "events",
    "partitions",
    "groups",
    "schemas",
    "connect",
    "records",
    "streams",
    "security",
    "ksql",
)

# The keys each panel binds; its help page must name every one of them (in backticks).
PAGE_KEYS = {
    "overview": ("1", "2", "3", "4", "5", "6", "F1", "?", "l", "ctrl+p", "q", "esc"),
    "cluster": ("1",),
    "topics": ("2", "n", "d", "enter"),
    "streams": ("S", "n", "x", "3"),
    "log": ("3", "g", "c", "r", "i", "enter", "home", "end", "pageup", "pagedown"),
    "produce": ("4", "ctrl+s", "enter", "esc", "a", "d", "b", "c", "x", "z"),
    "events": ("5", "p", "f", "c"),
    "partitions": ("6", "s", "k", "r", "c", "l", "p"),
    "groups": ("7", "a", "t", "s", "k", "x", "p"),
    "connect": ("9", "n", "ctrl+s", "esc", "p", "r", "R", "d"),
    "records": ("0", "/", "s", "f", "p", "x", "y", "u", "e", "o", "c", "enter", "esc"),
    "security": ("A", "a", "d", "c"),
    "ksql": ("K", "ctrl+enter", "ctrl+s", "ctrl+l", "up", "down", "esc", "enter", "t", "o", "c"),
}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "pt_BR.UTF-8"}, "pt"),
        ({"LANG": "pt_PT"}, "pt"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}, "pt"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "pt_BR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}, "pt"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "pt_BR:pt"}, "en"),
        ({"LANGUAGE": "pt_BR:pt"}, "pt"),
        ({"LC_ALL": "", "LANG": "pt_BR.UTF-8"}, "pt"),
    ],
)
def test_detect_language(env: dict[str, str], expected: str) -> None:
    assert detect_language(env) == expected


def test_detect_language_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert detect_language() == "pt"
    monkeypatch.setenv("LC_ALL", "C")
    assert detect_language() == "en"


def test_help_pages_lists_every_panel() -> None:
    assert set(help_pages()) == set(PAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_page_is_markdown_with_a_heading(page: str, language: str) -> None:
    text = help_text(page, language)
    lines = text.strip().splitlines()
    assert lines[0].startswith("# ")
    assert 15 <= len(lines) <= 35
    assert "<" + "img" not in text.lower() and "![" not in text  # no images or HTML


@pytest.mark.parametrize("page", PAGES)
def test_pages_differ_per_language(page: str) -> None:
    assert help_text(page, "en") != help_text(page, "pt")


@pytest.mark.parametrize("page", PAGES)
def test_portuguese_pages_are_portuguese(page: str) -> None:
    text = help_text(page, "pt").lower()
    assert re.search(r"partiç(ão|ões)|réplica|líder|você|mensage", text)
    assert any(ch in text for ch in "ãçéêíóõú")


def test_portuguese_uses_kafka_words_with_accents() -> None:
    text = " ".join(help_text(page, "pt") for page in PAGES)
    for word in ("partição", "partições", "réplica", "líder"):
        assert word in text
    assert "particao" not in text and "replica " not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("page", "keys"), PAGE_KEYS.items())
def test_page_mentions_its_keys(page: str, keys: tuple[str, ...], language: str) -> None:
    text = help_text(page, language)
    for key in keys:
        assert f"`{key}`" in text, f"{language}/{page}.md does not mention key {key!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_teach_the_concepts(language: str) -> None:
    def page(name: str) -> str:
        return help_text(name, language)

    assert "murmur2" in page("produce") and "KIP-480" in page("produce")
    assert "ctrl+s" in page("produce") and "`0`" in page("produce") and "`all`" in page("produce")
    assert "broker-<id>.db" in page("cluster") and "KRaft" in page("cluster")
    assert "ZooKeeper" in page("cluster")
    assert "ISR" in page("topics") and "249" in page("topics")
    assert "HW" in page("log") and "LEO" in page("log")
    for event in ("TopicCreated", "RecordAppended", "HighWatermarkAdvanced", "LeaderElected"):
        assert event in page("events")


def test_later_version_is_said_sparingly() -> None:
    for language, phrase in (("en", "in a later version"), ("pt", "versão futura")):
        for name in PAGES:
            assert help_text(name, language).count(phrase) <= 1


def test_unknown_language_falls_back_to_english() -> None:
    assert help_text("topics", "xx") == help_text("topics", "en")
    assert help_text("topics", "") == help_text("topics", "en")


@pytest.mark.parametrize("language", [*LANGUAGES, "xx"])
@pytest.mark.parametrize("page", ["nope", "", "../en/overview", "en/overview", "overview.md"])
def test_unknown_page_gives_a_short_line(page: str, language: str) -> None:
    text = help_text(page, language)
    assert text.startswith("# ")
    assert f"{page}." in text
    assert len(text.splitlines()) <= 3


def test_unknown_page_in_portuguese_is_in_portuguese() -> None:
    assert "Sem ajuda para nope" in help_text("nope", "pt")
    assert "No help for nope" in help_text("nope", "en")


def test_other_language() -> None:
    assert other_language("en") == "pt"
    assert other_language("pt") == "en"
    assert other_language("xx") in LANGUAGES


def test_ui_strings() -> None:
    assert set(UI) == set(LANGUAGES)
    assert set(UI["en"]) == set(UI["pt"])
    for key in ("help_title", "switch_language", "close"):
        assert t(key, "en") and t(key, "pt")
    assert t("switch_language", "en") == "l: Português"
    assert t("switch_language", "pt") == "l: English"
    assert t("close", "en") == "esc: close"
    assert t("close", "pt") == "esc: fechar"
    assert t("close", "xx") == "esc: close"
    assert t("no-such-key", "pt") == "no-such-key"


# What the texts once pointed at and a user never sees: the notes the project was born
# from, and their broker names. Kafka's own documentation is what a user can look up.
_PRIVATE_SOURCES = re.compile(
    r"\bseed\b|\bnotes\b|born from|\bbroker [ABC]\b|anotaç|\bnotas\b|deram origem", re.IGNORECASE
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_refer_to_what_a_user_can_see(language: str) -> None:
    texts = {page: help_text(page, language) for page in PAGES} | {"welcome": WELCOME[language]}
    for page, text in texts.items():
        assert not _PRIVATE_SOURCES.search(text), (page, _PRIVATE_SOURCES.search(text))
    assert "ZooKeeper" in texts["cluster"] and "KRaft" in texts["cluster"]
