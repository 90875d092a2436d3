"""The site's Korean web font: a subset of NanumGothic (the TTF shipped in the `koreanize-matplotlib` wheel,
a runtime dependency already used for the charts), made with fontTools (a matplotlib dependency).

The subset holds ASCII, Latin-1, general punctuation, CJK symbols, Hangul compatibility jamo and the 2,350
Hangul syllables of KS X 1001 (the syllables of everyday Korean text), without hinting, as WOFF (zlib): about
230 KB instead of 4.7 MB. A rarer syllable falls back to the next font of the CSS stack (the reader's own
Korean font). The family inside the file is renamed ("aidigest-ko"): a subset is a modified font, and the
original's names stay with the original (its copyright line is kept).

The font sits in the site folder (no request leaves the site). Making it costs a few seconds: it is made
once per machine (kept in ~/.cache/aidigest, see cache_path) and, in a site that has it already, never copied
again (see aidigest.render.site).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import logging
from functools import lru_cache
from pathlib import Path

from ..infra.env import env_value
from ..infra.atomic import write_bytes_atomic
from .chart import korean_font_files

FAMILY = "aidigest-ko"
FILE_NAME = "aidigest-ko.woff"

log = logging.getLogger("aidigest.render")


def _charset() -> str:
    ranges = [(0x20, 0x7F), (0xA0, 0x100), (0x2010, 0x2070), (0x2190, 0x2200), (0x3000, 0x3040), (0x3131, 0x318F),
              (0xFF01, 0xFF5F)]
    chars = [chr(c) for a, b in ranges for c in range(a, b)]
    chars += [chr(c) for c in range(0xAC00, 0xD7A4) if len(chr(c).encode("euc-kr", "ignore")) == 2]  # KS X 1001
    return "".join(chars)


def source_font() -> Path | None:
    """NanumGothic.ttf of the koreanize-matplotlib wheel, or None when it is not installed."""
    for f in korean_font_files():
        if Path(f).name == "NanumGothic.ttf":
            return Path(f)
    return None


def font_key() -> str | None:
    """What decides the subset's bytes (source font, fontTools version, this module); None: no font available."""
    src = source_font()
    if src is None:
        return None
    try:
        ft = importlib.metadata.version("fonttools")
    except importlib.metadata.PackageNotFoundError:
        return None
    st = src.stat()
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(f"{src.name}:{st.st_size}:{ft}".encode())
    return h.hexdigest()


def cache_path() -> Path | None:
    """Where the subset is kept between builds: $XDG_CACHE_HOME/aidigest (default ~/.cache/aidigest), named
    after its key; None when there is no font to subset."""
    key = font_key()
    if key is None:
        return None
    base = Path(env_value("XDG_CACHE_HOME") or Path.home() / ".cache") / "aidigest"
    return base / f"{FAMILY}-{key[:20]}.woff"


@lru_cache(maxsize=1)
def subset_woff() -> bytes | None:
    """The subset as WOFF bytes (None when the source font or fontTools is missing, or subsetting failed:
    the site then uses the reader's fonts only). Made once per machine: kept in `cache_path()` (a cache only —
    when it cannot be written, the font is made again next time)."""
    cached = cache_path()
    data: bytes | None
    if cached is not None and cached.is_file():
        data = cached.read_bytes()
        if data[:4] == b"wOFF":
            return data
    data = _make_subset()
    if data is not None and cached is not None:
        try:
            write_bytes_atomic(cached, data)
        except OSError as e:
            log.info("web font not cached at %s: %s", cached, e)
    return data


def _make_subset() -> bytes | None:
    src = source_font()
    if src is None:
        return None
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:
        return None
    try:
        opts = subset.Options()
        opts.flavor = "woff"
        opts.hinting = False
        opts.layout_features = ["kern", "liga", "ccmp", "locl"]
        opts.notdef_outline = True
        opts.name_IDs = [0, 1, 2, 3, 4, 5, 6]
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        font = TTFont(str(src), recalcTimestamp=False)
        sub = subset.Subsetter(opts)
        sub.populate(text=_charset())
        sub.subset(font)
        for rec in font["name"].names:
            if rec.nameID in (1, 4, 16):
                rec.string = FAMILY
            elif rec.nameID == 6:
                rec.string = FAMILY
            elif rec.nameID == 3:
                rec.string = f"{FAMILY} (subset of NanumGothic)"
        buf = io.BytesIO()
        font.flavor = "woff"
        font.save(buf)
        return buf.getvalue()
    except Exception as e:  # a font problem must not cost the site: it falls back to the reader's fonts
        log.warning("web font subset failed (%s: %s); the site uses the reader's fonts", type(e).__name__, e)
        return None
