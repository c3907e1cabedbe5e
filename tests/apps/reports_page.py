"""AppTest harness: run pages.reports.render() alone (auth is set in session_state by the test)."""

from pages.reports import render

render()
