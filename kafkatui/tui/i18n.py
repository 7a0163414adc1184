"""Languages for the workbench: English and Brazilian Portuguese.

The help pages are package data (`kafkatui/tui/help/<language>/<page>.md`, one page per
panel), read with `importlib.resources` so they work from a wheel as well as a checkout.
Nothing here raises for an unknown page or language: help falls back to English, then
to a one-line "No help" text, and UI strings fall back to English, then to the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable

LANGUAGES = ("en", "pt")
DEFAULT_LANGUAGE = "en"

# POSIX precedence: the first of these that is set (non-empty) decides.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")

UI: dict[str, dict[str, str]] = {
    "en": {
        "help_title": "Help",
        "switch_language": "l: Português",
        "close": "esc: close",
        "no_help": "No help for {page}.",
        "course_intro": "The course: each lesson explains a part of Kafka and asks you to do it on this "
        "cluster; a step is done when the cluster shows it happened. ✓ done · ▶ current · ○ locked. "
        "enter or s: start · r: reset (rebuilds the lesson's cluster).",
        "course_lesson": "Lesson",
        "course_step": "Step",
        "course_lesson_done": "Lesson done",
        "course_done_text": "Every step happened on the cluster in front of you. Press L for the course map: "
        "the next lesson is open.",
        "course_demo": "the same story told without you",
        "course_keys": "L: course map · ctrl+p: commands",
        "present_done": "✓ the cluster shows it done",
        "present_waiting": "… waiting for the cluster",
        "present_keys": "→ / space: next step · ←: back · q: quit",
    },
    "pt": {
        "help_title": "Ajuda",
        "switch_language": "l: English",
        "close": "esc: fechar",
        "no_help": "Sem ajuda para {page}.",
        "course_intro": "O curso: cada lição explica uma parte do Kafka e pede que você a faça neste "
        "cluster; um passo se completa quando o cluster mostra que aconteceu. ✓ feita · ▶ atual · "
        "○ bloqueada. enter ou s: começar · r: recomeçar (reconstrói o cluster da lição).",
        "course_lesson": "Lição",
        "course_step": "Passo",
        "course_lesson_done": "Lição concluída",
        "course_done_text": "Cada passo aconteceu no cluster à sua frente. Tecle L para o mapa do curso: "
        "a próxima lição está aberta.",
        "course_demo": "a mesma história contada sem você",
        "course_keys": "L: mapa do curso · ctrl+p: comandos",
        "present_done": "✓ o cluster mostra que aconteceu",
        "present_waiting": "… esperando o cluster",
        "present_keys": "→ / espaço: próximo passo · ←: voltar · q: sair",
    },
}


# The tab bar's short titles (KafkaTuiApp fits the tabs to the screen): fourteen full
# titles take 146 columns, these 118, so every tab shows at 120. Elsewhere (the palette,
# help) the panels keep their full TITLE / TITLE_PT.
SHORT_TITLES: dict[str, dict[str, str]] = {
    "en": {
        "cluster": "Cluster", "topics": "Topics", "log": "Log", "produce": "Prod",
        "events": "Events", "partitions": "Parts", "groups": "Groups", "schemas": "Schema",
        "connect": "Connect", "records": "Recs", "lessons": "Lessons", "streams": "Streams",
        "security": "ACLs", "ksql": "ksql",
    },
    "pt": {
        "cluster": "Cluster", "topics": "Tópicos", "log": "Log", "produce": "Prod",
        "events": "Eventos", "partitions": "Part", "groups": "Grupos", "schemas": "Esquema",
        "connect": "Connect", "records": "Reg", "lessons": "Lições", "streams": "Streams",
        "security": "ACLs", "ksql": "ksql",
    },
}  # fmt: skip


def detect_language(env: Mapping[str, str] | None = None) -> str:
    """The UI language from the locale: "pt" for Portuguese, "en" for anything else.

    LC_ALL, LC_MESSAGES, LANG, LANGUAGE are checked in that order and the first one set
    wins, as in POSIX; `env` defaults to `os.environ`.
    """
    if env is None:
        env = os.environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return "pt" if value.strip().lower().startswith("pt") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def other_language(language: str) -> str:
    """The language the help screen's switch key goes to (en <-> pt)."""
    return "en" if language == "pt" else "pt"


def _help_dir(language: str) -> Traversable:
    return resources.files("kafkatui").joinpath("tui").joinpath("help").joinpath(language)


def _read_page(page: str, language: str) -> str | None:
    if language not in LANGUAGES or not page or not page.replace("_", "").replace("-", "").isalnum():
        return None
    try:
        text = _help_dir(language).joinpath(f"{page}.md").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    return text if text.strip() else None


def help_text(page: str, language: str) -> str:
    """The Markdown help for a panel in `language`, else in English, else a short line."""
    for lang in (language, DEFAULT_LANGUAGE):
        text = _read_page(page, lang)
        if text is not None:
            return text
    return f"# {t('help_title', language)}\n\n{t('no_help', language).format(page=page)}\n"


def help_pages() -> list[str]:
    """The page names that have English help (sorted)."""
    try:
        entries = list(_help_dir(DEFAULT_LANGUAGE).iterdir())
    except OSError:
        return []
    return sorted(entry.name[:-3] for entry in entries if entry.name.endswith(".md") and entry.is_file())


def t(key: str, language: str) -> str:
    """A UI string in `language`, falling back to English, then to the key itself."""
    table = UI.get(language, {})
    if key in table:
        return table[key]
    return UI[DEFAULT_LANGUAGE].get(key, key)
