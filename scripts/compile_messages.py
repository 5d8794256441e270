#!/usr/bin/env python
"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib, so that no machine needs GNU
gettext to run the portal. (`make messages` still uses Django's makemessages, which
does need gettext, to extract strings.)"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


if __name__ == "__main__":
    main()
