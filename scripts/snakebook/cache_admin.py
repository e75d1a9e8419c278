"""See and prune the sentence audio cache.

    python -m snakebook.cache_admin stats [--cache results/cache] [--results results ...] [--verify] [--json]
    python -m snakebook.cache_admin prune [--cache results/cache] [--results results ...] [--min-age 1h] [--dry-run]

(run from the repository with ``PYTHONPATH=scripts``, or ``make`` targets that do so.)

``stats`` prints the cache's size and entry count and, for the books under each ``--results``
folder, how many entries they use and how many entries no current book uses. ``--verify`` reads
every entry and counts damaged ones (a damaged entry is never used: synthesis makes it again).

``prune`` deletes the entries no current book uses. The live set is read from the
``results/{book}/speech/NNN.keys.json`` files the synthesis step writes (and the ``.part``
ones of jobs still running), so pass every results folder that shares this cache. Entries
younger than ``--min-age`` (default 1h) are kept, as are the temporary files of writers that
may still be running; ``--dry-run`` only reports. With no ``keys.json`` found at all, prune
refuses (a wrong ``--results`` would otherwise empty the cache) unless ``--all`` is given.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cache import DEFAULT_CACHE_DIR, AudioCache
from .errors import SnakebookError

MANIFEST_GLOBS = ("*/speech/*.keys.json", "*/speech/*.keys.json.part")


@dataclass
class LiveSet:
    keys: set[str] = field(default_factory=set)
    manifests: int = 0
    books: dict[str, dict] = field(default_factory=dict)  # book -> {"chapters": n, "keys": set}


def read_live_set(results_dirs: list[str | Path]) -> LiveSet:
    """Every cache key recorded by the books under ``results_dirs``; SnakebookError on an unreadable record."""
    live = LiveSet()
    books: dict[str, dict] = defaultdict(lambda: {"chapters": set(), "keys": set()})
    for folder in results_dirs:
        folder = Path(folder)
        for pattern in MANIFEST_GLOBS:
            for path in sorted(folder.glob(pattern)):
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                    keys = record["keys"]
                except FileNotFoundError:
                    continue  # a running job just renamed its .part
                except (OSError, ValueError, KeyError, TypeError) as error:
                    raise SnakebookError(
                        f"cannot read the cache-key record {path} ({error}); "
                        "delete it (its chapter will be remade) or fix it, then retry."
                    ) from None
                live.manifests += 1
                live.keys.update(keys)
                book = path.parent.parent.name
                books[book]["chapters"].add(path.name.split(".")[0])
                books[book]["keys"].update(keys)
    live.books = {name: {"chapters": len(v["chapters"]), "keys": v["keys"]} for name, v in sorted(books.items())}
    return live


@dataclass
class CacheStats:
    cache_dir: str
    entries: int = 0
    bytes: int = 0
    temp_files: int = 0
    temp_bytes: int = 0
    live_entries: int | None = None
    live_bytes: int | None = None
    unused_entries: int | None = None
    unused_bytes: int | None = None
    manifests: int | None = None
    books: dict[str, dict] | None = None
    damaged: int | None = None


def cache_stats(cache: AudioCache, live: LiveSet | None = None, verify: bool = False) -> CacheStats:
    stats = CacheStats(cache_dir=str(cache.root))
    present: set[str] = set()
    if live is not None:
        stats.live_entries = stats.live_bytes = stats.unused_entries = stats.unused_bytes = 0
        stats.manifests = live.manifests
    if verify:
        stats.damaged = 0
    for key, path, stat in cache.entries():
        stats.entries += 1
        stats.bytes += stat.st_size
        present.add(key)
        if live is not None:
            if key in live.keys:
                stats.live_entries += 1
                stats.live_bytes += stat.st_size
            else:
                stats.unused_entries += 1
                stats.unused_bytes += stat.st_size
        if verify and cache.verify(key, path) is not None:
            stats.damaged += 1
    for _path, stat in cache.temp_files():
        stats.temp_files += 1
        stats.temp_bytes += stat.st_size
    if live is not None:
        stats.books = {
            name: {"chapters": v["chapters"], "keys": len(v["keys"]), "cached": len(v["keys"] & present)}
            for name, v in live.books.items()
        }
    return stats


@dataclass
class PruneResult:
    removed_entries: int = 0
    removed_bytes: int = 0
    kept_young: int = 0
    removed_temp: int = 0
    removed_damaged: int = 0
    dry_run: bool = False


def prune_cache(
    cache: AudioCache,
    live: LiveSet | None,
    *,
    min_age_s: float = 3600.0,
    dry_run: bool = False,
    remove_damaged: bool = False,
    now: float | None = None,
) -> PruneResult:
    """Remove entries not in ``live`` (None: every entry) older than ``min_age_s``, and stale temp files."""
    now = time.time() if now is None else now
    result = PruneResult(dry_run=dry_run)

    def remove(path: Path) -> bool:
        if dry_run:
            return True
        try:
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    for key, path, stat in cache.entries():
        if live is not None and key in live.keys:
            if remove_damaged and cache.verify(key, path) is not None and remove(path):
                result.removed_damaged += 1
            continue
        if now - stat.st_mtime < min_age_s:
            result.kept_young += 1
            continue
        if remove(path):
            result.removed_entries += 1
            result.removed_bytes += stat.st_size
    for path, stat in cache.temp_files():
        if now - stat.st_mtime >= min_age_s and remove(path):
            result.removed_temp += 1
    if not dry_run:
        for shard in cache.root.iterdir() if cache.root.is_dir() else ():
            if shard.is_dir() and len(shard.name) == 2:
                try:
                    shard.rmdir()  # only succeeds when empty
                except OSError:
                    pass
    return result


def parse_age(text: str) -> float:
    """'90' (seconds), '30s', '15m', '1h', '2d' -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not an age like 90, 30s, 15m, 1h or 2d")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def human_size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} TiB"


def _print_stats(stats: CacheStats) -> None:
    print(f"cache {stats.cache_dir}: {stats.entries} entries, {human_size(stats.bytes)}")
    if stats.temp_files:
        print(f"  temporary files (running or killed writers): {stats.temp_files}, {human_size(stats.temp_bytes)}")
    if stats.damaged is not None:
        print(f"  damaged entries: {stats.damaged}")
    if stats.books is not None:
        print(
            f"  used by current books: {stats.live_entries} entries, {human_size(stats.live_bytes)} "
            f"({stats.manifests} chapter records)"
        )
        print(f"  used by no current book: {stats.unused_entries} entries, {human_size(stats.unused_bytes)}")
        for name, book in stats.books.items():
            print(f"  {name}: {book['chapters']} chapters, {book['keys']} distinct sentences, {book['cached']} cached")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snakebook.cache_admin", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("stats", "size, entries, and entries no current book uses"),
        ("prune", "delete entries no current book uses"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "--cache", default=DEFAULT_CACHE_DIR, help="cache folder (config cache_dir); default %(default)s"
        )
        p.add_argument(
            "--results",
            action="append",
            default=None,
            help="results folder of a workflow using this cache (repeatable); default: results",
        )
        p.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    stats_parser = sub.choices["stats"]
    stats_parser.add_argument("--verify", action="store_true", help="read every entry and count damaged ones")
    prune_parser = sub.choices["prune"]
    prune_parser.add_argument(
        "--min-age",
        type=parse_age,
        default=3600.0,
        help="keep unused entries younger than this (90, 30s, 15m, 1h, 2d); default 1h",
    )
    prune_parser.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    prune_parser.add_argument(
        "--all", action="store_true", help="allow pruning when no book records are found (empties the cache)"
    )
    prune_parser.add_argument("--damaged", action="store_true", help="also remove damaged entries books still use")
    args = parser.parse_args(argv)
    results = args.results or ["results"]
    cache = AudioCache(args.cache)
    try:
        live = read_live_set(results)
        if args.command == "stats":
            stats = cache_stats(cache, live, verify=args.verify)
            if args.json:
                print(json.dumps(asdict(stats), indent=1))
            else:
                _print_stats(stats)
            return 0
        if live.manifests == 0 and not args.all:
            raise SnakebookError(
                f"no book records (*/speech/*.keys.json) under {', '.join(map(str, results))}: every entry would be "
                "pruned. Pass the right --results folder(s), or --all to empty the cache."
            )
        result = prune_cache(cache, live, min_age_s=args.min_age, dry_run=args.dry_run, remove_damaged=args.damaged)
    except SnakebookError as error:
        print(f"cache_admin: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(result), indent=1))
    else:
        verb = "would remove" if result.dry_run else "removed"
        print(
            f"{verb} {result.removed_entries} unused entries ({human_size(result.removed_bytes)}), "
            f"{result.removed_temp} stale temporary files, {result.removed_damaged} damaged entries; "
            f"kept {result.kept_young} unused entries younger than {args.min_age:g} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
