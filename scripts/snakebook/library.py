"""The book table: which books to make, and the settings of each (defaults + per-book overrides)."""

from __future__ import annotations

import copy
from pathlib import Path

from .errors import SnakebookError
from .readers import supported_suffixes
from .slug import book_slug

# Keys a book entry may override; everything else is global.
PER_BOOK_KEYS = (
    "engine", "model", "voice", "speaker", "speaker_wav", "language", "device", "engine_params",
    "title", "authors", "drop_chapters", "rename_chapters", "toc_level", "keep_notes", "lexicon", "bitrate",
)


def _library_books(folder: str | Path) -> list[str]:
    folder = Path(folder)
    if not folder.is_dir():
        raise SnakebookError(f"library folder '{folder}' does not exist or is not a folder (config key `library`).")
    suffixes = tuple(supported_suffixes())
    found = sorted(str(p) for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
    if not found:
        raise SnakebookError(f"library folder '{folder}' holds no supported ebook ({', '.join(suffixes)}).")
    return found


def book_table(config: dict) -> dict[str, dict]:
    """slug -> settings dict with at least ``path`` and every voice key resolved.

    ``config['books']`` entries are paths or mappings with ``path`` plus overrides;
    ``config['library']`` adds every supported ebook in a folder. When ``library``
    is given, the default ``books`` list is replaced unless books were also given
    explicitly alongside it.
    """
    entries: list = []
    if config.get("library"):
        entries.extend(_library_books(config["library"]))
        entries.extend(entry for entry in config.get("books") or [] if isinstance(entry, dict) and entry.get("in_library"))
    else:
        entries.extend(config.get("books") or [])
    if not entries:
        raise SnakebookError("no books to make: set `books` (a list of ebook paths) or `library` (a folder) in the config.")
    table: dict[str, dict] = {}
    overrides = config.get("book_settings") or {}
    for entry in entries:
        settings = {"path": entry} if isinstance(entry, str) else copy.deepcopy(entry)
        if not settings.get("path"):
            raise SnakebookError(f"a `books` entry has no `path`: {entry!r}.")
        slug = settings.get("name") or book_slug(settings["path"])
        if slug in table:
            raise SnakebookError(
                f"two books share the name '{slug}' ({table[slug]['path']} and {settings['path']}); "
                "give one of them a `name:` in its `books` entry."
            )
        merged = {key: copy.deepcopy(config.get(key)) for key in PER_BOOK_KEYS if key in config}
        merged.update(overrides.get(slug, {}))
        merged.update({k: v for k, v in settings.items() if k != "path"})
        merged["path"] = settings["path"]
        merged["name"] = slug
        table[slug] = merged
    return table
