"""Dates of a page: a printed day checked, and the day an article's text implies when the page states none."""
from __future__ import annotations

import re
from datetime import date

# A printed day: "19/05/2022", "4.11.2019", "04-11-2019" (day, month, year).
DMY = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"

# ---- dates implied by the text -------------------------------------------------------------------
# A day/month opening the lead ("Ngày 28/4,", "Sáng 4.7,", "Chiều 1/7") or a clause of it with a time of
# day (", sáng ngày 4/11,"). ", ngày 31/01/2019" after a document's number dates the document, not the event.
_DAY_MONTH = r"(\d{1,2})\s*[/.]\s*(\d{1,2})(?:\s*[/.]\s*(\d{4}))?(?![\d/.]*\d)"
_TIME_OF_DAY = r"(?:rạng\s+sáng|sáng|trưa|chiều|tối|đêm)\s+(?:hôm\s+)?(?:ngày\s+)?"
_LEAD_DAY = re.compile(
    r"(?:^(?:" + _TIME_OF_DAY + r"|(?:hôm|ngày)\s+)|[,;]\s*" + _TIME_OF_DAY + ")" + _DAY_MONTH, re.IGNORECASE
)
# Periods an article reports on or plans for, which name the year it was written in:
# "quý I/2020", "6 tháng đầu năm 2024", "6 tháng cuối năm 2024", "chương trình công tác năm 2019".
# Each gives (year, the month by which that period is over); a report on it comes on or after that month.
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_PERIODS: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\bquý\s+(iv|i{1,3}|[1-4])\s*(?:/\s*|năm\s+)(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), 3 * (_ROMAN.get(m.group(1).lower()) or int(m.group(1))))),
    (re.compile(r"\b(\d{1,2})\s+tháng\s+đầu\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), int(m.group(1)))),
    (re.compile(r"\b(\d{1,2})\s+tháng\s+cuối\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), 1)),
    (re.compile(r"\b(?:chương trình công tác|kế hoạch công tác|chủ đề)\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(1)), 1)),
]
_LEAD_PARAGRAPHS = 3


def valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso_date(line: str) -> str | None:
    m = re.search(DMY, line)
    if not m:
        return None
    day, month, year = (int(g) for g in m.groups())
    found = valid_date(year, month, day)
    return found.isoformat() if found else None


def infer_date(paragraphs: list[str], not_after: date | None = None) -> str | None:
    """When the article was written, from the text alone: "2020-04-28", or "2020" when only the year shows.

    The year comes from a period the article reports on or plans for ("quý I/2020", "6 tháng đầu
    năm 2024", "chương trình công tác năm 2019"), the latest one named; the day and month from the
    lead ("Ngày 28/4,", "Sáng 4.7,"). A lead date before that period is over (next year's report?),
    one whose own year is another (a history: "Đêm 21/9/1945, ..."), or one after `not_after` (the
    day the page was scraped) or today gives nothing. No period named: nothing, whatever the lead says.
    """
    latest = min(not_after or date.today(), date.today())
    periods = [make(m) for pattern, make in _PERIODS for p in paragraphs for m in pattern.finditer(p)]
    periods = [(year, month) for year, month in periods if 1945 <= year <= latest.year]
    if not periods:
        return None
    year = max(y for y, _ in periods)
    over_by = max(m for y, m in periods if y == year)
    lead = _lead_day(paragraphs)
    if lead is None:
        return str(year)
    day, month, stated_year = lead
    found = valid_date(year, month, day)
    if found is None or (stated_year and stated_year != year) or month < over_by or found > latest:
        return None
    return found.isoformat()


def _lead_day(paragraphs: list[str]) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) opening a clause of the lead's first paragraphs."""
    for paragraph in paragraphs[:_LEAD_PARAGRAPHS]:
        m = _LEAD_DAY.search(paragraph)
        if m:
            day, month = int(m.group(1)), int(m.group(2))
            if 1 <= day <= 31 and 1 <= month <= 12:
                return day, month, int(m.group(3)) if m.group(3) else None
    return None
