"""Sentence-level audio cache shared by every synthesis job (and every book, and every node).

Key
    sha256 of a versioned JSON document holding the engine's :meth:`identity`
    (engine, model and config fingerprints, voice, speaker, reference audio,
    engine parameters) and the exact text the engine is asked to speak (after
    normalisation and lexicon). Anything that changes the sound changes the key;
    anything else (chapter number, book, pauses, file names) does not, so an
    edited book re-synthesises only the sentences whose text changed.

Entry
    ``<root>/<key[:2]>/<key>.wav``: a plain 16-bit mono WAV (any player opens
    it) with one extra RIFF chunk, ``sbck``, holding sha256(key, format, samples).
    A read validates the whole file against it, so a truncated, zero-filled or
    bit-flipped entry (a crash on a filesystem without ordered writes, a bad
    copy) is treated as missing, removed and made again, never spoken.

Writes
    The entry is written with :mod:`snakebook.fileio` (a temporary ``.<key>.wav.<random>.part.wav``
    in the same folder) and published with ``link()``: the first complete
    entry for a key wins and is never replaced, so every job, on every node,
    reads the same audio for a key and a chapter WAV always agrees with the
    cache. Where hard links are not supported the entry is renamed into place
    (atomic; last writer wins). A killed job leaves at most a temporary file,
    which is never read and which ``cache_admin prune`` removes.
    Entries are not fsynced: each one verifies itself on read, so what a power loss can do
    to an un-synced entry (lose it, truncate it, zero it) only makes it be synthesised again,
    while an fsync per sentence costs ~4-8 ms (file + folder) on a ~0.5 s synthesis, 1-2 % of the
    whole run. ``AudioCache(root, fsync=True)`` turns it back on.

Claims (work sharing)
    Several jobs may work on the same sentences at once: a chapter job, the part jobs of a long
    chapter, and jobs that finished their own work and help the chapters still running (see
    :mod:`snakebook.sharing`). Before synthesising a missing sentence a job *claims* it:
    ``<root>/claims/<key>``, created exclusively (``O_EXCL``, also on NFS) with the holder's host
    and pid. Others skip a claimed sentence and do other missing work while they wait for it. A claim
    is only advice: the entry itself is still published first-writer-wins, so two jobs that both make a
    sentence (a claim taken over from a holder thought dead) still agree on its audio. A holder touches
    its claims every :data:`CLAIM_REFRESH_S`; a claim whose holder is a dead process on this host, or
    that nobody touched for :data:`CLAIM_STALE_S` (a lost node), is taken over. A killed job leaves
    at most stale claims, which cost nothing but a look.

Location
    The ``cache_dir`` config key (default ``results/cache``); put it on shared
    storage when jobs run on several nodes. See :mod:`snakebook.cache_admin`
    to see its size and prune entries no current book uses.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np

from .errors import SnakebookError
from .fileio import atomic_write, is_temporary

log = logging.getLogger("snakebook")

DEFAULT_CACHE_DIR = "results/cache"
# Bump when the key derivation or the entry format changes: old entries then simply stop matching.
KEY_VERSION = 2
ENTRY_SUFFIX = ".wav"
TEMP_SUFFIX = ".tmp"  # temporary files of writers before snakebook.fileio (still recognised as leftovers)
CHECK_CHUNK = b"sbck"
CLAIMS_DIR = "claims"
CLAIM_REFRESH_S = 10.0  # a holder touches its claims this often
CLAIM_STALE_S = 60.0  # a claim nobody touched for this long is taken over (its holder is gone)


def utterance_key(identity: dict, text: str) -> str:
    """The cache key of ``text`` spoken by the voice described by ``identity``."""
    payload = json.dumps({"v": KEY_VERSION, "identity": identity, "text": text}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


def _fmt_chunk(sample_rate: int) -> bytes:
    # PCM, mono, rate, byte rate, block align, 16 bits
    return struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)


def _checksum(key: str, fmt: bytes, pcm: bytes) -> bytes:
    digest = hashlib.sha256(key.encode("ascii"))
    digest.update(fmt)
    digest.update(pcm)
    return digest.digest()


def encode_entry(key: str, pcm: bytes, sample_rate: int) -> bytes:
    """The bytes of a cache entry: a WAV of ``pcm`` plus the checksum chunk."""
    fmt = _fmt_chunk(sample_rate)
    check = _checksum(key, fmt, pcm)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(pcm))
        + pcm
        + (b"\x00" if len(pcm) % 2 else b"")
        + CHECK_CHUNK
        + struct.pack("<I", len(check))
        + check
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


class DamagedEntry(ValueError):
    """A cache entry that exists but must not be used."""


def decode_entry(key: str, blob: bytes) -> tuple[int, bytes]:
    """(sample rate, 16-bit PCM) of a cache entry; :class:`DamagedEntry` unless it is whole and checks out."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise DamagedEntry("not a RIFF/WAVE file")
    if struct.unpack_from("<I", blob, 4)[0] != len(blob) - 8:
        raise DamagedEntry("RIFF size does not match the file size (truncated?)")
    chunks: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(blob):
        name = blob[offset : offset + 4]
        size = struct.unpack_from("<I", blob, offset + 4)[0]
        start = offset + 8
        if start + size > len(blob):
            raise DamagedEntry(f"chunk {name!r} runs past the end of the file")
        chunks[name] = blob[start : start + size]
        offset = start + size + (size % 2)
    if offset != len(blob):
        raise DamagedEntry("trailing bytes after the last chunk")
    fmt, pcm, check = chunks.get(b"fmt "), chunks.get(b"data"), chunks.get(CHECK_CHUNK)
    if fmt is None or pcm is None or check is None:
        raise DamagedEntry("missing fmt, data or checksum chunk")
    if len(fmt) != 16:
        raise DamagedEntry("unexpected fmt chunk")
    audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt)
    if (audio_format, channels, bits) != (1, 1, 16) or fmt != _fmt_chunk(rate):
        raise DamagedEntry("not 16-bit mono PCM")
    if _checksum(key, fmt, pcm) != check:
        raise DamagedEntry("checksum mismatch")
    return rate, pcm


class AudioCache:
    """The audio cache in folder ``root`` (created on first write)."""

    def __init__(self, root: str | Path, *, fsync: bool = False):
        self.root = Path(os.path.expanduser(str(root)))
        self.fsync = fsync
        self._claims: set[Path] = set()  # claims this process holds (kept fresh by a keeper thread)
        self._keeper: threading.Thread | None = None
        self._lock = threading.Lock()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def has(self, key: str) -> bool:
        """Whether an entry file exists (cheap; :meth:`get_pcm` is the check that counts)."""
        return self.path(key).is_file()

    # --- reading ---------------------------------------------------------------
    def get_pcm(self, key: str, sample_rate: int) -> bytes | None:
        """The entry's 16-bit PCM bytes, or None if it is absent, damaged (then removed) or at another rate."""
        path = self.path(key)
        blob = None
        for _attempt in range(2):  # a shared filesystem may report ESTALE while a writer publishes
            try:
                with open(path, "rb") as handle:
                    stat = os.fstat(handle.fileno())
                    blob = handle.read()
                break
            except FileNotFoundError:
                return None
            except OSError as error:
                if error.errno != errno.ESTALE:
                    log.warning("audio cache: cannot read %s (%s); making it again", path, error)
                    return None
        if blob is None:
            return None
        try:
            rate, pcm = decode_entry(key, blob)
        except DamagedEntry as problem:
            log.warning("audio cache: damaged entry %s (%s); removing it so it is made again", path, problem)
            self._remove_if_same(path, stat)
            return None
        if rate != sample_rate:
            return None
        return pcm

    @staticmethod
    def _remove_if_same(path: Path, stat: os.stat_result) -> None:
        """Remove a damaged entry unless another writer has replaced it since we read it."""
        try:
            now = os.stat(path)
            if (now.st_ino, now.st_dev, now.st_size, now.st_mtime_ns) == (
                stat.st_ino,
                stat.st_dev,
                stat.st_size,
                stat.st_mtime_ns,
            ):
                path.unlink()
        except OSError:
            pass

    # --- writing ---------------------------------------------------------------
    def put(self, key: str, audio: np.ndarray, sample_rate: int) -> Path:
        """Store float samples for ``key`` (see :meth:`put_pcm`)."""
        return self.put_pcm(key, float_to_int16(audio).tobytes(), sample_rate)

    def put_pcm(self, key: str, pcm: bytes, sample_rate: int) -> Path:
        """Publish an entry atomically; if a valid entry for ``key`` exists already, keep that one.

        Raises :class:`SnakebookError` when the cache folder cannot be written (full, read-only).
        """
        target = self.path(key)
        data = encode_entry(key, pcm, sample_rate)
        try:
            try:
                with atomic_write(target, "wb", durable=self.fsync, exclusive=True) as handle:
                    handle.write(data)
                return target
            except FileExistsError:
                if self.get_pcm(key, sample_rate) is not None:
                    return target  # another job got there first; keep its audio
            # the entry there was damaged (and is now removed) or at another rate: replace it
            with atomic_write(target, "wb", durable=self.fsync) as handle:
                handle.write(data)
        except OSError as error:
            raise SnakebookError(
                f"cannot write to the audio cache '{self.root}' ({error.strerror or error}); "
                "free some space or set `cache_dir` to a writable folder."
            ) from None
        return target

    # --- claims (work sharing between jobs; see the module docstring) ----------------
    def claim_path(self, key: str) -> Path:
        return self.root / CLAIMS_DIR / key

    def claim(self, key: str) -> bool:
        """Claim ``key`` for this process: True if we hold it now (then :meth:`release` it), False if another
        live job holds it. A stale claim (dead holder) is taken over."""
        path = self.claim_path(key)
        record = f"{socket.gethostname()} {os.getpid()} {time.time():.0f}\n".encode()
        for _attempt in range(3):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                continue
            except FileExistsError:
                if not self._stale(path):
                    return False
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                continue
            except OSError as error:  # a read-only cache: no sharing, but the job still works alone
                log.debug("audio cache: cannot claim %s (%s)", key, error)
                return True
            try:
                os.write(fd, record)
            finally:
                os.close(fd)
            with self._lock:
                self._claims.add(path)
                self._start_keeper()
            return True
        return False

    def claimed(self, key: str) -> bool:
        """Whether another live job holds a claim on ``key`` (it is making that sentence now)."""
        path = self.claim_path(key)
        return path not in self._claims and path.exists() and not self._stale(path)

    def release(self, key: str) -> None:
        path = self.claim_path(key)
        with self._lock:
            self._claims.discard(path)
        try:
            path.unlink()
        except FileNotFoundError:
            pass

    @staticmethod
    def _stale(path: Path) -> bool:
        try:
            stat = path.stat()
            host, pid, *_ = path.read_text(encoding="ascii", errors="replace").split()
        except FileNotFoundError:
            return False  # released meanwhile: the entry is there now (or the next try claims it)
        except (OSError, ValueError):
            return True  # unreadable or half-written by a holder that died while writing it
        if time.time() - stat.st_mtime > CLAIM_STALE_S:
            return True
        if host == socket.gethostname():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return True
            except (PermissionError, ValueError):
                pass
        return False

    def _start_keeper(self) -> None:
        if self._keeper is not None and self._keeper.is_alive():
            return
        self._keeper = threading.Thread(target=self._keep_claims, name="cache-claims", daemon=True)
        self._keeper.start()

    def _keep_claims(self) -> None:
        while True:
            time.sleep(CLAIM_REFRESH_S)
            with self._lock:
                held = list(self._claims)
            for path in held:
                try:
                    os.utime(path)
                except OSError:
                    pass

    # --- listing (for cache_admin) -------------------------------------------------
    def entries(self):
        """Yield (key, path, stat) for every entry file."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            with os.scandir(shard) as listing:
                for item in listing:
                    if item.name.endswith(ENTRY_SUFFIX) and not item.name.startswith("."):
                        try:
                            yield item.name[: -len(ENTRY_SUFFIX)], Path(item.path), item.stat()
                        except FileNotFoundError:
                            continue

    def temp_files(self):
        """Yield (path, stat) for every leftover temporary file (from killed or running writers) and claim."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir():
                continue
            claims = shard.name == CLAIMS_DIR
            with os.scandir(shard) as listing:
                for item in listing:
                    if (
                        claims
                        or is_temporary(item.name)
                        or item.name.startswith(".")
                        and item.name.endswith(TEMP_SUFFIX)
                    ):
                        try:
                            yield Path(item.path), item.stat()
                        except FileNotFoundError:
                            continue

    def verify(self, key: str, path: Path) -> str | None:
        """None if the entry at ``path`` is whole, else what is wrong with it."""
        try:
            decode_entry(key, path.read_bytes())
        except DamagedEntry as problem:
            return str(problem)
        except OSError as error:
            return str(error)
        return None
