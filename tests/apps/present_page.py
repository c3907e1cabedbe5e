"""AppTest harness: run pages.present.render() alone (auth is set in session_state by the test)."""

from pages.present import render

render()
