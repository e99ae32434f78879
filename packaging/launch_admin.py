"""PyInstaller entry script of fieldapp-admin: `fieldapp admin ...` as a console program.
The app itself is built without a console, so on Windows its admin commands could neither ask
for a passphrase nor print; this one can, on every platform."""

import sys

from fieldapp.admin import admin_main

sys.exit(admin_main())
