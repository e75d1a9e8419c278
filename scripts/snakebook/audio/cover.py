"""The cover every format embeds: checked, converted to a JPEG players show, or generated.

A cover is never passed on unchecked: an image whose header claims an absurd size (a tiny PNG that says
40,000 x 40,000 pixels would make every player decode gigabytes) or that fails to decode is replaced
by a generated one, and the log says why. SVG is rendered by ffmpeg when it can (librsvg), else replaced.
"""

from __future__ import annotations

import io
import logging
import textwrap
import zlib
from pathlib import Path

from ..fileio import write_bytes

log = logging.getLogger("snakebook")

MAX_SIDE = 2400  # longest side of the embedded cover
MAX_CLAIMED_PIXELS = 60_000_000  # a header claiming more than this (e.g. 8000 x 7500) is not decoded
PASS_THROUGH_BYTES = 2_000_000  # a JPEG/PNG within the size limits and under this many bytes is kept as it is


def _checked_image(data: bytes, book: str | None):
    """Open ``data`` with Pillow, refusing absurd claimed sizes before decoding; None (and a log line) if unusable."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # the size check is ours, below, with a message naming the claimed size
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size  # from the header: nothing decoded yet
    except Exception as error:  # not an image Pillow knows
        log.warning("%s: the book's cover is replaced: it cannot be read as an image (%s)", book, error)
        return None
    if width * height > MAX_CLAIMED_PIXELS or width < 1 or height < 1:
        log.warning(
            "%s: the book's cover is replaced: its header claims %d x %d pixels (a player would have to "
            "decode %.1f GB)",
            book,
            width,
            height,
            width * height * 4 / 1e9,
        )
        return None
    try:
        image.load()
    except Exception as error:
        log.warning("%s: the book's cover is replaced: it fails to decode (%s)", book, error)
        return None
    return image


def _svg_to_png(data: bytes, book: str | None) -> bytes | None:
    import subprocess
    import tempfile

    from .ffmpeg import ffmpeg_binary

    with tempfile.TemporaryDirectory(prefix="cover-") as work:
        source = Path(work) / "cover.svg"
        source.write_bytes(data)
        target = Path(work) / "cover.png"
        result = subprocess.run(
            [
                ffmpeg_binary(),
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(source),
                "-frames:v",
                "1",
                "-vf",
                f"scale='min({MAX_SIDE},iw)':-2",
                str(target),
            ],
            capture_output=True,
        )
        if result.returncode == 0 and target.exists():
            return target.read_bytes()
    log.warning("%s: the book's SVG cover is replaced: this ffmpeg cannot render SVG", book)
    return None


def _jpeg(image) -> bytes:
    from PIL import Image

    image = image.convert("RGB") if image.mode != "RGB" else image
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def _colour(text: str) -> tuple[int, int, int]:
    """A calm, stable colour per book (from its title)."""
    import colorsys

    hue = (zlib.crc32(text.encode("utf-8")) % 360) / 360.0
    red, green, blue = colorsys.hls_to_rgb(hue, 0.30, 0.45)
    return int(red * 255), int(green * 255), int(blue * 255)


def generated_cover(title: str, authors: str, size: int = 1400) -> bytes:
    """A plain cover: the title and author in white on a solid colour, as a JPEG."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (size, size), _colour(title))
    draw = ImageDraw.Draw(image)

    def font(points: int):
        try:
            return ImageFont.truetype("DejaVuSans-Bold.ttf", points)
        except OSError:
            return ImageFont.load_default(size=points)

    y = size * 0.28
    for text, points, width in ((title, size // 12, 18), (authors, size // 20, 30)):
        face = font(points)
        for line in textwrap.wrap(text, width=width)[:5]:
            box = draw.textbbox((0, 0), line, font=face)
            draw.text(((size - (box[2] - box[0])) / 2, y), line, font=face, fill=(255, 255, 255))
            y += points * 1.25
        y += size * 0.08
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def prepare_cover(source: str | Path | None, title: str, authors: str, out: str | Path, book: str | None = None) -> str:
    """Write the cover every format embeds to ``out`` (JPEG, or the original PNG/JPEG when already fine).

    Returns what was done: ``kept``, ``converted`` or ``generated``.
    """
    data = Path(source).read_bytes() if source and Path(source).is_file() else None
    if data is not None and (data.lstrip()[:5] == b"<?xml" or b"<svg" in data[:1000]):
        data = _svg_to_png(data, book)
    image = _checked_image(data, book) if data else None
    if image is None:
        if data is None and source:
            log.warning("%s: the cover %s is missing; a plain one is generated", book, source)
        write_bytes(out, generated_cover(title, authors))
        log.info("%s: generated a plain cover (title and author on a solid colour)", book)
        return "generated"
    if image.format in ("JPEG",) and max(image.size) <= MAX_SIDE and len(data) <= PASS_THROUGH_BYTES:
        write_bytes(out, data)
        return "kept"
    write_bytes(out, _jpeg(image))
    log.info(
        "%s: the %s cover (%d x %d) is converted to a JPEG of at most %d px",
        book,
        image.format,
        image.size[0],
        image.size[1],
        MAX_SIDE,
    )
    return "converted"
