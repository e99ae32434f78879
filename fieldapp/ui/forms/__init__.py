"""One capture form per kind of record; each becomes one event (see base.CaptureForm)."""
