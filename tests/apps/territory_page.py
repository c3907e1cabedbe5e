"""AppTest harness: run pages.territory.render() alone (auth is set in session_state by the test)."""

from pages.territory import render

render()
