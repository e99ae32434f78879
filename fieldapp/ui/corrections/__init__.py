"""Putting records right: correct, entered in error, reassign a call-back, merge households.

    case.py      the ops on the database worker: a case as the officer may change it (the
                 authority rule asked once, for every record), what a change would do, and
                 saving a change (the rule asked again, on the real record)
    forms.py     the capture forms, opened pre-filled to correct a record
    change.py    one change with a reason and what it will do: entered in error, reassign
    households.py  two household records side by side: merge, or different households (split)
    joining.py   another officer's record of an occurrence accepted (`join_accepted`), both
                 records side by side
    dialogs.py   the put-right window of a case, and the opener of every put-right window
"""
