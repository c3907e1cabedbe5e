"""Pure domain rules of 民情流水线; imports neither streamlit nor sqlalchemy."""
