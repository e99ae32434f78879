"""The desktop app (PySide6). Widgets hold no store and no business rules: they send ops to
the database worker (`ops.DbWorker`) through the unlocked `session.Session`, and redraw from
the `Changes` those ops return.

    app.py               entry point: Qt set-up (UK English, high-DPI), then the controller
    smoke.py             `--smoke-test`: proves an installed bundle works, headless
    controller.py        start, unlock, lock (idle, Ctrl+L, suspend), remote wipe, quit;
                         unlocked, what the app lives with is frozen out of the collector's way
    start.py, enrol.py   profiles, passphrase, first-run enrolment or offline-only
    ops.py, session.py   the database worker; who records; save = make_event + check + append
    main_window.py       pages, shortcuts, due-today banner, status bar
    capture_page.py      the doorstep: find or start an occurrence, then its records
    forms/               one dialog per event type (base.py: CaptureForm, messages beside
                         fields, drafts, the check before saving; occurrence.py, leaflets.py,
                         household.py, vcas.py, referral.py: a referral step; contact.py:
                         who to call, inside the offer)
    launcher.py          opens forms by draft key, closes them all on lock
    place.py             where the officer was at a lock (occurrence, open forms, corrections
                         included); drafts named by form, occurrence reference and address
    followups_model.py   the call-back and referral table models (filter and sort on the
                         model side; the first screen first, then every row; call-backs
                         held as plain tuples, which the garbage collector stops walking)
    followups_load.py    the call-back list's ops: the first screen (counts from an index),
                         then every call-back a page at a time by key; a change's rows
    followups_conflicts.py  "Conflicts to check": each named by its record, a list model
    followups_page.py    the OIC's follow-ups (call-backs, referrals) and conflicts
    leaflets_due.py      the follow-ups' "Leaflets not recorded" section (its own op)
    referrals_tab.py     the detail pane (everything to make the call) and the Referrals tab:
                         send, acknowledge, withdraw, referral sheet
    corrections/         putting records right (case.py: the ops, the authority rule asked
                         once per case; forms.py: capture forms pre-filled to correct;
                         change.py: entered in error, reassign; households.py: merge,
                         split; joining.py: accept another officer's record of an
                         occurrence; dialogs.py: the case window and the opener)
    consulting.py        one consultation entry per record opened (DPA 2018 s.62)
    callback_detail.py   the call's brief as text: warning, contacts, offer, attempts, risks
    referral_sheet.py    the one-household referral sheet for VCAS as a PDF (QPdfWriter)
    officer_details.py   "My contact details": the officer's name, phone and email for the
                         sheet, kept in the profile's settings inside the encrypted database
    sync_view.py         automatic sync on its own thread, status bar, summary, refused records
    sync_store.py        the store for the sync thread: each call one op on the database worker
    reports_model.py     the figures op (domain figures on the worker), report table model
    reports_page.py      Reports for OICs and supervisors: filters, tables, tabs, exports;
                         a supervisor records a partner's monthly count there
    reports_charts.py    QtCharts bar charts of uptake, leaflet issues, partner engagement
    reports_export.py    CSV and PDF (QPdfWriter) exports, written atomically
    lock.py, tray.py, text.py, widgets.py, style.py
"""
