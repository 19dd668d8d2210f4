"""Patrol planning: expected incidents per hotspot and shift, and a dosage after the Koper curve.

Expected counts come from each hotspot's recent weekday × hour profile (counts divided by the
number of weeks observed), summed over the hours and days of each shift in the coming period.
Dosage: Koper (1995), "Just enough police presence", Justice Quarterly 12(4) — residual deterrence
peaks at visits of about 10–15 minutes; short visits at irregular times in the active hours beat
long stays. Telep et al. (2014) found the same in Sacramento's hot-spot experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Shift:
    name: str
    start_hour: int
    end_hour: int  # exclusive; may be smaller than start_hour (overnight)

    @property
    def hours(self) -> list[int]:
        h, out = self.start_hour, list[int]()
        while h != self.end_hour or not out:
            out.append(h)
            h = (h + 1) % 24
            if len(out) == 24:
                break
        return out


DEFAULT_SHIFTS = (Shift("dag", 7, 15), Shift("kväll", 15, 23), Shift("natt", 23, 7))


def parse_shifts(text: str) -> tuple[Shift, ...]:
    """'dag:07-15,kväll:15-23,natt:23-07' → shifts; raises ValueError naming the bad part."""
    shifts = []
    for part in text.split(","):
        name, sep, span = part.strip().partition(":")
        start, dash, end = span.partition("-")
        try:
            start_h, end_h = int(start), int(end)
        except ValueError:
            raise ValueError(f"shift {part!r} must look like name:HH-HH") from None
        if not sep or not dash or not name or not (0 <= start_h < 24 and 0 <= end_h <= 24) or start_h == end_h % 24:
            raise ValueError(f"shift {part!r} must look like name:HH-HH with hours 0–24")
        shifts.append(Shift(name.strip(), start_h, end_h % 24))
    return tuple(shifts)


def expected_per_shift(weekday: NDArray[np.int64], hour: NDArray[np.int64], history_weeks: float,
                       period_start: date, days: int, shifts: tuple[Shift, ...]) -> dict[str, float]:
    """Expected incidents in each shift over `days` from `period_start`, from the weekday × hour rate."""
    rate = np.bincount(weekday * 24 + hour, minlength=168).reshape(7, 24) / max(history_weeks, 1e-9)
    out = {}
    for shift in shifts:
        total = 0.0
        for offset in range(days):
            day = period_start + timedelta(days=offset)
            for h in shift.hours:
                # hours after midnight of an overnight shift belong to the next calendar day
                weekday_of_hour = (day.weekday() + (1 if h < shift.start_hour else 0)) % 7
                total += rate[weekday_of_hour, h]
        out[shift.name] = float(total)
    return out


@dataclass(frozen=True)
class Dosage:
    visits_per_shift: int
    minutes_per_visit: str
    text_sv: str


def koper_dosage(expected_per_shift_per_day: float, when: str = "under passet") -> Dosage:
    """Short repeated visits: more of them where more is expected, each about 10–15 minutes (Koper 1995, "Just
    enough police presence", Justice Quarterly 12:649–672). `when`: the hours and days of the shift that hold
    most of its events ("kl. 19–22, främst fre–lör"), so the visits go where the shift's own events are."""
    if expected_per_shift_per_day >= 1.0:
        visits = 3
    elif expected_per_shift_per_day >= 0.3:
        visits = 2
    else:
        visits = 1
    return Dosage(visits, "10–15",
                  f"{visits} besök à 10–15 min per pass, på oregelbundna tider {when}")


WEEKDAYS_SV = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
MIN_TO_NAME_HOURS = 5   # events in the shift's history before its busiest hours are named
MIN_TO_NAME_DAYS = 10   # … and before its busiest weekdays are


def busiest_when(matrix: NDArray[np.int64], hours: list[int], share: float = 0.5) -> str:
    """The hours and weekdays of a shift that hold most of its events, in words: "kl. 22–02, främst fre–lör".
    `matrix` is weekday × hour counts (Monday first); `hours` the shift's hours. The hours: the shortest
    window within the shift holding `share` of its events; the days: the fewest holding `share`, named when
    three or fewer do (else every day is busy enough to leave unnamed). A handful of events names nothing:
    fewer than MIN_TO_NAME_HOURS leave the visits to the whole shift, fewer than MIN_TO_NAME_DAYS name no day."""
    sub = np.asarray(matrix)[:, hours]
    total = int(sub.sum())
    if total < MIN_TO_NAME_HOURS:
        return "under passet"
    by_hour = sub.sum(axis=0)
    window = 1
    best = (0, 0)
    for window in range(1, len(hours) + 1):
        sums = [int(by_hour[s:s + window].sum()) for s in range(len(hours) - window + 1)]
        best = (int(np.argmax(sums)), window)
        if max(sums) >= share * total:
            break
    first, length = best
    span = f"kl. {hours[first]:02d}–{(hours[first + length - 1] + 1) % 24:02d}"
    by_day = sub.sum(axis=1)
    order = np.argsort(-by_day, kind="stable")
    days, held = [], 0
    for day in order:
        days.append(int(day))
        held += int(by_day[day])
        if held >= share * total:
            break
    if len(days) > 3 or total < MIN_TO_NAME_DAYS:
        return span
    days.sort()
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    named = ", ".join(WEEKDAYS_SV[r[0]] if len(r) == 1 else f"{WEEKDAYS_SV[r[0]]}–{WEEKDAYS_SV[r[-1]]}" for r in runs)
    return f"{span}, främst {named}"


def poisson_interval(observed: int, expected: float, level: float = 0.95) -> tuple[float, float]:
    """An interval for an expected count scaled from `observed` history events: the exact (Garwood 1936)
    Poisson interval of the observed count, scaled by expected / observed."""
    from scipy.stats import chi2

    if observed <= 0:
        return 0.0, 0.0
    tail = (1 - level) / 2
    low = chi2.ppf(tail, 2 * observed) / 2
    high = chi2.ppf(1 - tail, 2 * observed + 2) / 2
    scale = expected / observed
    return float(low * scale), float(high * scale)
