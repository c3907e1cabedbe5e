"""AppTest harness: run pages.intake.render() alone (auth is set in session_state by the test)."""

from pages.intake import render

render()
