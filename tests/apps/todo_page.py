"""AppTest harness: run pages.todo.render() alone (auth is set in session_state by the test)."""

from pages.todo import render

render()
