"""Errors the store raises, each with a message an officer can read.

Messages never include what was being saved, a passphrase, a key or a path inside the
profile: they are shown on screen and may end up in a support ticket.
"""

from __future__ import annotations

import math


class StoreError(Exception):
    """Something the officer needs to know about; `str(error)` is the message to show."""

    message = "Something went wrong with this profile's data. Nothing has been lost."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class InvalidProfileName(StoreError):
    message = (
        "A profile name has letters, digits, - and _ only, at most 32, for example your "
        "collar number. Anyone with the laptop can see it, so do not use a person's name or "
        "anything from a case."
    )


class ProfileExists(StoreError):
    message = "There is already a profile with this name on this laptop."


class ProfileNotFound(StoreError):
    message = "There is no profile with this name on this laptop."


class WeakPassphrase(StoreError):
    """The new passphrase breaks a rule; `reasons` lists every one, for the form."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(" ".join(reasons))


class WrongPassphrase(StoreError):
    message = "That passphrase is not right for this profile."


class TooManyAttempts(StoreError):
    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        minutes = math.ceil(wait_seconds / 60)
        when = (
            f"{math.ceil(wait_seconds)} seconds"
            if wait_seconds < 60
            else f"{minutes} minute{'s' if minutes != 1 else ''}"
        )
        super().__init__(f"Too many wrong passphrases. Wait {when}, then try again.")


class DamagedDatabase(StoreError):
    message = (
        "This profile's files are damaged or are not fieldapp's. Nothing has been changed. "
        "Do not delete anything: contact IT support."
    )


class NewerDatabase(StoreError):
    message = (
        "This profile was saved by a newer version of fieldapp. Install the newer version to "
        "open it; nothing has been changed."
    )


class DiskError(StoreError):
    message = (
        "The laptop could not write to its disk; it may be full. What you were saving has "
        "not been saved, and everything saved before is safe. Free some space and try again."
    )


class ProfileBusy(StoreError):
    message = "This profile is busy in another fieldapp window. Close it and try again."


class EncryptionUnavailable(StoreError):
    message = (
        "This copy of fieldapp cannot encrypt its database, so it will not run. "
        "Contact IT support to reinstall it."
    )


class StoreLocked(StoreError):
    message = "The profile is locked. Unlock it with your passphrase to continue."


class ConflictingEvent(StoreError):
    message = (
        "A record with the same identifier but different details is already saved, so this "
        "one was not saved. Nothing else was changed."
    )


class RecoveryFailed(StoreError):
    message = (
        "This profile cannot be recovered with that key: it has no recovery copy of its "
        "key, or the key is not the force's recovery key."
    )


class InvalidRecoveryKey(StoreError):
    message = "The recovery key is not an X25519 key in PEM form."
