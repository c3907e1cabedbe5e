"""AppTest harness: run pages.audit.render() alone (auth is set in session_state by the test)."""

from pages.audit import render

render()
