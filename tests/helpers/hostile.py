"""Hostile text used by the tests that check user text is never interpreted."""

from __future__ import annotations

SCRIPT = "<script>window.__pwned=1</script>路灯不亮"
IMG = '<img src=x onerror="window.__pwned=1">楼道堆物'
LINK = "[点此领取补贴](javascript:window.__pwned=1) 请核实"
BOLD_NAME = "<b>王五</b>"
FORMULA = '=HYPERLINK("http://127.0.0.1/evil","点我")'
LONG = "很长的诉求" * 390  # 1,950 characters: within the 2,000 limit
PAYLOADS = (SCRIPT, IMG, LINK, FORMULA)
