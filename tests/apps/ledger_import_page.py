"""AppTest harness: run pages.ledger_import.render() alone (auth is set in session_state by the test)."""

from pages.ledger_import import render

render()
