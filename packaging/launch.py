"""PyInstaller entry script: the same entry point as the `fieldapp` console script."""

import sys

from fieldapp.__main__ import main

sys.exit(main())
