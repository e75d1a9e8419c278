"""Writing files: the one way every output of snakebook reaches its final name.

A reader of ``results/`` (Snakemake, a player, a rerun) must never see a half-written file under
a name that looks finished. Every writer therefore writes to a temporary name *in the same folder*
(so the final step is a rename on one filesystem, which POSIX makes atomic), optionally fsyncs
(when the file is the only copy of expensive work: cache entries, chapter audio), and renames it
into place. If the writer fails, the temporary file is removed.

- :func:`atomic_path` gives a temporary path to hand to a tool that writes its own file (ffmpeg,
  ``wave``), and renames it on success.
- :func:`atomic_write` opens that temporary path for Python code that writes a stream.
- :func:`write_text` / :func:`write_bytes` / :func:`write_json` are the one-liners built on them.
- ``exclusive=True`` publishes with a hard link instead of a rename, so an existing file is never
  replaced (the first complete writer wins, as the sentence cache wants across jobs and nodes); the
  block then raises :class:`FileExistsError`. Where hard links are not supported it renames.

Reading YAML (the config schema, lexicons, profiles, sheet cells) goes through :func:`load_yaml`: safe
loading with libyaml's C parser where PyYAML was built with it (8x faster: the 14 kB config schema, read at
every Snakemake start, in 6 ms instead of 48), else PyYAML's own.

Temporary names end in ``.part`` plus the final suffix (``x.m4a`` -> ``.x.m4a.<random>.part.m4a``) so
tools that pick a format from the suffix (ffmpeg) still do, and a cleanup can find leftovers by
``*.part*`` (:func:`is_temporary`).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some filesystems (and Windows) cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# link() errors that mean "this filesystem has no hard links", not "the target exists".
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}
TEMP_MARK = ".part"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def is_temporary(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_path`'s temporary names (a leftover of a killed writer)."""
    return name.startswith(".") and TEMP_MARK in name


def _publish(tmp: Path, final: Path, exclusive: bool) -> None:
    if exclusive:
        try:
            os.link(tmp, final)  # raises FileExistsError when final exists: it is never replaced
            return
        except FileExistsError:
            raise
        except OSError as error:
            if error.errno not in _NO_LINKS:
                raise
        if final.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(final))
    os.replace(tmp, final)


@contextmanager
def atomic_path(path: str | os.PathLike, *, durable: bool = False, exclusive: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds.

    ``durable=True`` fsyncs the file and its folder, for files that are the only copy of
    expensive work. ``exclusive=True`` never replaces an existing ``path``: it raises
    :class:`FileExistsError` instead. The temporary file is removed if the block raises.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f"{TEMP_MARK}{final.suffix}", dir=final.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    finally:
        os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        _publish(tmp, final, exclusive)
        if durable:
            _fsync_dir(final.parent)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(
    path: str | os.PathLike,
    mode: str = "w",
    *,
    durable: bool = False,
    encoding: str | None = "utf-8",
    exclusive: bool = False,
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` only if the block succeeds."""
    if "b" in mode:
        encoding = None
    with atomic_path(path, durable=durable, exclusive=exclusive) as tmp:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()


def write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> None:
    with atomic_write(path, "w", durable=durable) as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = False) -> None:
    with atomic_write(path, "wb", durable=durable) as handle:
        handle.write(data)


def write_json(path: str | os.PathLike, data: Any, *, durable: bool = False, indent: int | None = 2) -> None:
    with atomic_write(path, "w", durable=durable) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=indent)
        handle.write("\n")


def load_yaml(stream: str | bytes | IO) -> Any:
    """``yaml.safe_load``, with libyaml's C parser when PyYAML has it (the same values, the same errors)."""
    import yaml

    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # (safe: no Python objects)
