"""AppTest harness: run pages.case_detail.render() alone (auth is set in session_state by the test)."""

from pages.case_detail import render

render()
