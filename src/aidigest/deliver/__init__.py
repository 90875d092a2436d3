"""Delivery of the day's digest to mail and chat (apprise). See notify.py and shortform.py."""

from .notify import NotifyResult, configured_targets, notify_day, report_files
from .shortform import ShortForm, build_short_form, pack, site_page_url

__all__ = [
    "NotifyResult", "ShortForm", "build_short_form", "configured_targets", "notify_day", "pack", "report_files",
    "site_page_url",
]
