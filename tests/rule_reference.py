"""The rule logic shared by the differential tests ``test_game_reference_*.py``: plain Python written from
shared/spec/rules.md alone, never from the game's code.

Every function reads a state only as the plain view ``describe(state)`` gives it (entities in list order).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from typing import Any

Cell = tuple[int, int]
View = dict[str, Any]  # a state as describe() shows it

BOARD = 6  # §1: a 6 x 6 grid
CELLS = [(r, c) for r in range(BOARD) for c in range(BOARD)]
DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1))  # §0 canonical order: up, down, left, right = actions 0-3
ACTION_SIPHON = 4  # §3
FIRST_PROGRAM_ACTION = 5  # §3: action = 5 + program index
# §3.3: program name, credit cost, energy cost; the position is the program index.
PROGRAM_COSTS = (
    ("PUSH", 0, 2), ("PULL", 0, 2), ("CRASH", 3, 2), ("WARP", 2, 2), ("POLY", 1, 1), ("WAIT", 0, 1),
    ("DEBUG", 3, 0), ("ROW", 3, 1), ("COL", 3, 1), ("UNDO", 1, 0), ("STEP", 0, 3), ("SIPH+", 5, 0),
    ("EXCH", 4, 0), ("SHOW", 2, 0), ("RESET", 0, 4), ("CALM", 2, 4), ("D_BOM", 3, 0), ("DELAY", 1, 2),
    ("ANTI-V", 3, 0), ("SCORE", 0, 5), ("REDUC", 2, 1), ("ATK+", 4, 4), ("HACK", 2, 2),
)  # fmt: skip
PROGRAM_NAMES = tuple(name for name, _, _ in PROGRAM_COSTS)
ACTION = {name: FIRST_PROGRAM_ACTION + i for i, name in enumerate(PROGRAM_NAMES)}
PLAYER_MAX_HP = 3  # §2.1
ENEMY_MAX_HP = {"virus": 2, "daemon": 3, "glitch": 2, "cryptog": 2}  # §2.3
ENEMY_TYPES = tuple(ENEMY_MAX_HP)  # §2.3 order, also the §8.3 channels 0-3


# --- §0 geometry -------------------------------------------------------------------------------------------------


def on_board(cell: Cell) -> bool:
    """§0, §1: rows and columns 0-5."""
    return 0 <= cell[0] < BOARD and 0 <= cell[1] < BOARD


def adjacent_cells(cell: Cell) -> list[Cell]:
    """§0: the on-board cells sharing an edge, in canonical order."""
    return [(cell[0] + dr, cell[1] + dc) for dr, dc in DIRECTIONS if on_board((cell[0] + dr, cell[1] + dc))]


def surrounding_cells(cell: Cell) -> list[Cell]:
    """§0: the up to eight king-move neighbours."""
    r, c = cell
    around = [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    return [x for x in around if on_board(x)]


def siphon_cross(cell: Cell) -> list[Cell]:
    """§4.2 step 2: the cell and its on-board adjacent cells."""
    return [cell, *adjacent_cells(cell)]


def manhattan(a: Cell, b: Cell) -> int:
    """§0 Manhattan distance."""
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def step_counts(source: Cell, is_passable: Callable[[Cell], bool]) -> dict[Cell, int]:
    """§5.3 step 1 and §7 exit distance: breadth-first counts of cardinal steps from ``source`` over passable cells
    (none if ``source`` itself is impassable)."""
    if not is_passable(source):
        return {}
    counts = {source: 0}
    queue = deque([source])
    while queue:
        cell = queue.popleft()
        for neighbour in adjacent_cells(cell):
            if neighbour not in counts and is_passable(neighbour):
                counts[neighbour] = counts[cell] + 1
                queue.append(neighbour)
    return counts


# --- reading a view ----------------------------------------------------------------------------------------------


def cell_of(entry: dict) -> Cell:
    """The cell of a view entry (player, enemy, transmission, block or resource)."""
    return entry["row"], entry["col"]


def player_cell(view: View) -> Cell:
    """§2.1: the player's position."""
    return cell_of(view["player"])


def blocks_by_cell(view: View) -> dict[Cell, dict]:
    """§2.2: the blocks, keyed by cell."""
    return {cell_of(b): b for b in view["blocks"]}


def enemies_on(view: View, cell: Cell) -> list[dict]:
    """§0: the enemies standing on ``cell``, in list order."""
    return [e for e in view["enemies"] if cell_of(e) == cell]


def transmissions_on(view: View, cell: Cell) -> list[dict]:
    """§0: the transmissions on ``cell``, in list order."""
    return [t for t in view["transmissions"] if cell_of(t) == cell]


# --- §3 action mask ----------------------------------------------------------------------------------------------


def program_applicable(name: str, view: View) -> bool:
    """§3.3 "Applicable when" column."""
    p, enemies, transmissions = view["player"], view["enemies"], view["transmissions"]
    blocks = blocks_by_cell(view)
    kinds = {e["kind"] for e in enemies}
    if name in ("PUSH", "PULL", "POLY"):
        return bool(enemies)
    if name == "CRASH":
        return any(x in blocks or enemies_on(view, x) or transmissions_on(view, x)
                   for x in surrounding_cells(player_cell(view)))  # fmt: skip
    if name == "WARP":
        return bool(enemies or transmissions)
    if name == "DEBUG":
        return any(cell_of(e) in blocks for e in enemies)
    if name == "ROW":
        return any(e["row"] == p["row"] for e in enemies)
    if name == "COL":
        return any(e["col"] == p["col"] for e in enemies)
    if name == "UNDO":
        return view["history_count"] > 0
    if name == "EXCH":
        return p["credits"] >= 4
    if name == "SHOW":
        return not view["show"]
    if name == "RESET":
        return p["hp"] < PLAYER_MAX_HP
    if name == "CALM":
        return not view["calm"]
    if name == "D_BOM":
        return "daemon" in kinds
    if name == "DELAY":
        return bool(transmissions)
    if name == "ANTI-V":
        return "virus" in kinds
    if name == "SCORE":
        return view["stage"] < 8
    if name == "REDUC":
        return any(not b["siphoned"] and b["spawn_count"] > 0 for b in view["blocks"])
    if name == "ATK+":
        return view["atk_plus_uses"] < 2
    if name == "HACK":
        return bool(view["siphoned_cells"])
    assert name in ("WAIT", "STEP", "SIPH+"), name
    return True


def reference_action_mask(view: View) -> list[bool]:
    """§3.1 directions, §3.2 siphon, §3.3 programs: the 28 validity flags."""
    p = view["player"]
    blocks = blocks_by_cell(view)
    mask = []
    for dr, dc in DIRECTIONS:
        target = (p["row"] + dr, p["col"] + dc)
        mask.append(on_board(target) and (target not in blocks or bool(enemies_on(view, target))))
    mask.append(p["data_siphons"] >= 1)
    for name, credits, energy in PROGRAM_COSTS:
        mask.append(name in view["owned_programs"] and p["credits"] >= credits and p["energy"] >= energy
                    and program_applicable(name, view))  # fmt: skip
    return mask


# --- §4.1 line of fire -------------------------------------------------------------------------------------------


def line_of_fire_target(view: View, direction: int) -> tuple[str, int] | None:
    """§4.1 step 1: ("transmission" | "enemy", its list index), or None when a block or the edge comes first."""
    dr, dc = DIRECTIONS[direction]
    blocks = blocks_by_cell(view)
    r, c = player_cell(view)
    while on_board((r + dr, c + dc)):
        r, c = r + dr, c + dc
        # A transmission is hit before the enemies on its cell, and an entity before the block under it.
        for kind, entries in (("transmission", view["transmissions"]), ("enemy", view["enemies"])):
            first = next((i for i, entry in enumerate(entries) if cell_of(entry) == (r, c)), None)
            if first is not None:
                return kind, first
        if (r, c) in blocks:
            return None
    return None


# --- §7 component 15: siphon quality -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SiphonYield:
    data: tuple[int, ...]  # sorted point values
    programs: frozenset[str]  # programs not yet owned
    credits: int
    energy: int


EMPTY_YIELD = SiphonYield((), frozenset(), 0, 0)


def siphon_yield(view: View, position: Cell) -> SiphonYield:
    """§7 siphon quality, step 1: what siphoning at ``position`` would yield."""
    blocks = blocks_by_cell(view)
    if position in blocks:
        return EMPTY_YIELD
    siphoned = set(view["siphoned_cells"])
    resources = {cell_of(r): r for r in view["resources"]}
    data, programs, credits, energy = [], set(), 0, 0
    for cell in siphon_cross(position):
        if cell in siphoned:
            continue
        if cell in blocks:
            block = blocks[cell]
            if block["kind"] == "data":
                data.append(block["points"])
            elif block["program"] not in view["owned_programs"]:
                programs.add(block["program"])
        elif cell in resources:
            credits += resources[cell]["credits"]
            energy += resources[cell]["energy"]
    return SiphonYield(tuple(sorted(data)), frozenset(programs), credits, energy)


def missed_siphon_resources(view: View) -> tuple[int, int]:
    """§7 siphon quality, steps 2-4, on the state before the siphon: (missed_credits, missed_energy), both 0 when
    no candidate position is strictly better."""
    blocks = blocks_by_cell(view)
    siphoned = set(view["siphoned_cells"])
    here = player_cell(view)
    own = siphon_yield(view, here)
    free_positions = [q for q in CELLS if q not in blocks]
    if own.data or own.programs:
        needed = {x for x in siphon_cross(here) if x in blocks and x not in siphoned}
        candidates = [q for q in free_positions if needed <= set(siphon_cross(q))]
    else:
        candidates = free_positions
    better = []
    for q in candidates:
        other = siphon_yield(view, q)
        if (other.data == own.data and other.programs == own.programs and other.credits >= own.credits
                and other.energy >= own.energy and (other.credits > own.credits or other.energy > own.energy)):
            better.append(other)  # fmt: skip
    if not better:
        return 0, 0
    return max(y.credits for y in better) - own.credits, max(y.energy for y in better) - own.energy
