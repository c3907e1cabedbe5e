"""AppTest harness: run pages.users.render() alone (auth is set in session_state by the test)."""

from pages.users import render

render()
