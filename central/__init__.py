"""The force's central endpoint that officers' laptops sync to (HTTP + JSON).

Storage is SQLite for a small force or a trial, PostgreSQL for a force-wide deployment; the
event schemas are fieldapp.domain's, so the laptop and the server accept the same records.
"""
