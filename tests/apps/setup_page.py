"""AppTest harness: run pages.setup.render() alone (auth is set in session_state by the test)."""

from pages.setup import render

render()
