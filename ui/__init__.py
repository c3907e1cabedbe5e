"""Streamlit glue shared by pages: settings, database, the logged-in actor, guards, widgets."""
