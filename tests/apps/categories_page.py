"""AppTest harness: run pages.categories.render() alone (auth is set in session_state by the test)."""

from pages.categories import render

render()
