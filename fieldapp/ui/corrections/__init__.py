"""Putting records right: correct, entered in error, reassign a call-back, merge households.

    case.py      the ops on the database worker: a case as the officer may change it (the
                 authority rule asked once, for every record), what a change would do, and
                 saving a change (the rule asked again, on the real record)
    forms.py     the capture forms, opened pre-filled to correct a record
    dialogs.py   the record's changes window, and the entered-in-error, reassign and merge
                 dialogs
"""
