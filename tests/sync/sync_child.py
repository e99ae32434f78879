"""A laptop syncing in a child process, so a test can SIGKILL it mid-sync."""

import sys
from pathlib import Path

from sync_support import PASSPHRASE, client, profiles

from fieldapp.sync.protocol import Retry, SyncError


def main() -> None:
    home, collar, url, ca = sys.argv[1:5]
    store = profiles(Path(home)).unlock(collar, PASSPHRASE)
    sync = client(store, url=url, ca=ca, timeout=(2.0, 2.0))
    sync.retry = Retry(base=0.02, cap=0.2, attempts=8)
    while True:
        try:
            summary = sync.run_once()
            print(f"synced pushed={summary.pushed} pulled={summary.pulled}", flush=True)
        except SyncError as error:
            print(f"retry: {error.message}", flush=True)


if __name__ == "__main__":
    main()
