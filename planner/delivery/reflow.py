"""Re-flow a course after one of its sessions moves. Pure: dates in, moves out; no ORM, no
clock. The checks on the new dates are the engine's (planner.scheduling.build_dated_schedule).

Rules:
- Rescheduling session *n* to a new date moves it there, and every later session of the
  course that is still open (planned) to the course's interval counted from the new date:
  session *n + k* goes to ``nth_session_date(new date, interval, k)``. Counting from the
  anchor (never from the session before) keeps month-end clamping as the engine has it:
  31 Jan, 28 Feb, 31 Mar.
- A session performed later than planned anchors the later open sessions the same way, on
  the day it was performed. One performed on time or early moves nothing.
- Sessions staff keep fixed, and sessions no longer open (performed, cancelled, no-show),
  stay where they are; the numbering of the others still counts them (session *n + k* is
  *k* intervals after the anchor).
- A session whose date does not change is not a move."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from planner.scheduling import Interval, nth_session_date


@dataclass(frozen=True)
class SessionSlot:
    number: int
    planned_date: date
    open: bool = True


@dataclass(frozen=True)
class Move:
    number: int
    old_date: date
    new_date: date


def _follow(
    slots: Sequence[SessionSlot],
    interval: Interval,
    *,
    anchor_number: int,
    anchor_date: date,
    keep_fixed: Collection[int],
) -> list[Move]:
    moves = []
    for slot in sorted(slots, key=lambda s: s.number):
        if slot.number <= anchor_number or not slot.open or slot.number in keep_fixed:
            continue
        new_date = nth_session_date(anchor_date, interval, slot.number - anchor_number)
        if new_date != slot.planned_date:
            moves.append(Move(slot.number, slot.planned_date, new_date))
    return moves


def reschedule(
    slots: Sequence[SessionSlot],
    interval: Interval,
    *,
    number: int,
    new_date: date,
    keep_fixed: Collection[int] = (),
) -> tuple[Move, ...]:
    """Session `number` to `new_date`, and the later open sessions re-flowed after it."""
    numbers = [s.number for s in slots]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"Session numbers must be unique: {numbers}.")
    slot = next((s for s in slots if s.number == number), None)
    if slot is None:
        raise ValueError(f"No session {number} in this course.")
    if not slot.open:
        raise ValueError(f"Session {number} is no longer open.")
    moves = [Move(number, slot.planned_date, new_date)] if new_date != slot.planned_date else []
    return tuple(
        moves
        + _follow(
            slots, interval, anchor_number=number, anchor_date=new_date, keep_fixed=keep_fixed
        )
    )


def after_performance(
    slots: Sequence[SessionSlot],
    interval: Interval,
    *,
    number: int,
    performed_on: date,
    keep_fixed: Collection[int] = (),
) -> tuple[Move, ...]:
    """The later open sessions' moves when session `number` was performed on `performed_on`:
    none unless it was performed after its planned date."""
    slot = next((s for s in slots if s.number == number), None)
    if slot is None:
        raise ValueError(f"No session {number} in this course.")
    if performed_on <= slot.planned_date:
        return ()
    return tuple(
        _follow(
            slots, interval, anchor_number=number, anchor_date=performed_on, keep_fixed=keep_fixed
        )
    )


def apply(slots: Sequence[SessionSlot], moves: Sequence[Move]) -> dict[int, date]:
    """Every slot's date after the moves, by number."""
    new = {m.number: m.new_date for m in moves}
    return {s.number: new.get(s.number, s.planned_date) for s in slots}
