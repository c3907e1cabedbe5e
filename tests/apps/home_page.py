"""AppTest harness: run pages.home.render() alone (auth is set in session_state by the test)."""

from pages.home import render

render()
