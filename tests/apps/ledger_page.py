"""AppTest harness: run pages.ledger.render() alone (auth is set in session_state by the test)."""

from pages.ledger import render

render()
