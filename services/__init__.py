"""Use cases: each owns one transaction and never imports streamlit."""
