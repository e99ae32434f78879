"""Entry point: `python -m fieldapp` (or `fieldapp`) starts the desktop app;
`fieldapp admin ...` runs the profile administration commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["admin"]:
        # Imported here so the admin commands start without loading Qt.
        from fieldapp.admin import admin_main

        return admin_main(args[1:])
    from fieldapp.ui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
