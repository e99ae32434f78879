"""The encrypted local store: profiles, keys, migrations, the event log and projections.

See docs/store.md for the design, the file layout and the recovery procedure.
"""

from fieldapp.store.access import AccessEntry, Action
from fieldapp.store.errors import (
    ConflictingEvent,
    DamagedDatabase,
    DiskError,
    EncryptionUnavailable,
    InvalidProfileName,
    InvalidRecoveryKey,
    NewerDatabase,
    ProfileBusy,
    ProfileExists,
    ProfileNotFound,
    RecoveryFailed,
    StoreError,
    StoreLocked,
    TooManyAttempts,
    WeakPassphrase,
    WrongPassphrase,
)
from fieldapp.store.keys import passphrase_problems
from fieldapp.store.profiles import Profiles
from fieldapp.store.reads import (
    PlainTask,
    ReferralRow,
    SearchResults,
    TaskCounts,
    TaskRow,
    Totals,
)
from fieldapp.store.store import Store

__all__ = [
    "AccessEntry",
    "Action",
    "ConflictingEvent",
    "DamagedDatabase",
    "DiskError",
    "EncryptionUnavailable",
    "InvalidProfileName",
    "InvalidRecoveryKey",
    "NewerDatabase",
    "PlainTask",
    "ProfileBusy",
    "ProfileExists",
    "ProfileNotFound",
    "Profiles",
    "RecoveryFailed",
    "ReferralRow",
    "SearchResults",
    "Store",
    "StoreError",
    "StoreLocked",
    "TaskCounts",
    "TaskRow",
    "TooManyAttempts",
    "Totals",
    "WeakPassphrase",
    "WrongPassphrase",
    "passphrase_problems",
]
