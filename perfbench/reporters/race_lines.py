"""The race in words: the live line (points left, the leader and its interval, the latest
eliminations with their reason), the answer, and the confirmation A/B.  Every figure is
the race document's own (:class:`perfbench.results.race.RaceResult`)."""

from __future__ import annotations

from perfbench.results.race import REFERENCE, Confirmation, Interval, RaceResult


def ratio_text(interval: Interval | None) -> str:
    """+6.1 % [+2.0, +10.3] (95 %): a ratio as a change with its interval and level."""
    if interval is None or interval.ratio is None:
        return "–"
    return (f"{100 * (interval.ratio - 1):+.1f} % [{100 * (interval.low - 1):+.1f}, "
            f"{100 * (interval.high - 1):+.1f}] ({100 * interval.level:.4g} %)")


def live_line(race: RaceResult, latest: int = 3) -> str:
    """Epochs done of planned, points left, the leader against the default, and the
    last eliminations with their interval against the leader."""
    last = race.looks[-1] if race.looks else None
    left = len(last.live) - len(last.eliminated) if last else len(race.keys)
    leader = last.leader if last else "–"
    versus = last.versus_default.get(leader) if last else None
    text = (f"race epoch {len(race.epochs)}/{race.rules.get('max_epochs')}: {left} of "
            f"{len(race.keys)} points left; leader {leader}")
    if leader == REFERENCE:
        text += " (the default)"
    elif versus is not None:
        text += f" {ratio_text(versus)} vs default"
    gone = [x for x in race.exits][-latest:]
    if gone:
        text += "; left: " + ", ".join(_exit_text(x) for x in gone)
    return text


def _exit_text(exit_) -> str:
    if exit_.interval is None:
        return f"{exit_.key} ({exit_.reason})"
    return (f"{exit_.key} (after epoch {exit_.epoch}, vs {exit_.leader} "
            f"≤ {100 * (exit_.interval.high - 1):+.1f} %)")


def answer_line(race: RaceResult) -> str:
    outcome = {"won": "won the race", "tied": "picked by the tie rule",
               "budget": "leads (no decision)", "interrupted": "leads (interrupted)",
               "failed": "leads (the race failed)"}.get(race.status, race.status)
    exits = sum(x.reason.startswith("worse") for x in race.exits)
    failed = sum(x.reason.startswith("worker failed") for x in race.exits)
    line = (f"race ({race.status}): {race.winner} {outcome} after {len(race.epochs)} "
            f"epochs; {exits} eliminated at family error ≤ "
            f"{100 * race.rules.get('alpha', 0.05):g} % (tie margin "
            f"{race.rules.get('margin_pct'):g} %)")
    if failed:
        line += f"; {failed} dropped (worker failed)"
    design = race.design
    if design is not None and design.chosen_by == "dimensioned":
        line += f"; epochs of {design.rounds_per_epoch} rounds, dimensioned ({design.reason})"
    return line + (f": {race.why}" if race.why else "")


def confirmation_lines(found: Confirmation | None) -> list[str]:
    if found is None:
        return []
    if found.status in ("skipped", "failed"):
        return [f"confirmation A/B: {found.status}{': ' + found.note if found.note else ''}"]
    interval = ratio_text(found.ratio) if found.ratio else "no interval (too few epochs)"
    lines = [f"confirmation A/B ({found.new} vs {found.base}, {found.epochs} epochs, "
             f"{found.status}): {found.verdict}, FPS {interval}"]
    for side, key in (("base", found.base), ("new", found.new)):
        if side in found.sustained_fps:
            gap = found.gap_pct.get(side)
            lines.append(f"  {key}: sustained {found.sustained_fps[side]:,.1f} FPS; the "
                         f"race's blocks read {found.block_fps.get(side, 0):,.1f}"
                         + (f" ({gap:+.1f} %)" if gap is not None else ""))
    return lines
