"""A text picture of one game state for people: the board (row 5 on top), the player's stats and the valid actions.

Each cell is two text lines of ``_CELL_WIDTH`` characters: the first shows the cell content (block, exit, pickup),
the second what stands there (player ``@``, enemy, transmission) and the credits / energy lying on it.
"""

from __future__ import annotations

import jax
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game.mask import action_mask
from hackmatrix.game.state import GameState

_CELL_WIDTH = 8

# Keys a person types for each action: w/s/a/d move or shoot, x siphons, a program is typed as its action number.
ACTION_KEYS: dict[str, int] = {"w": C.ACTION_UP, "s": C.ACTION_DOWN, "a": C.ACTION_LEFT, "d": C.ACTION_RIGHT,
                               "x": C.ACTION_SIPHON}  # fmt: skip
ACTION_KEYS.update({str(C.FIRST_PROGRAM_ACTION + p): C.FIRST_PROGRAM_ACTION + p for p in range(C.NUM_PROGRAMS)})
KEY_OF_ACTION = {action: key for key, action in ACTION_KEYS.items()}
_DIRECTION_NAMES = ("up", "down", "left", "right")

LEGEND = (
    "Legend: @ you, EXIT exit, PICK data-siphon pickup, D<points>/<spawn> data block, <PROGRAM>/<spawn> program "
    "block, ? question block, lower case = siphoned; V/D/G/C<hp> virus/daemon/glitch/cryptog (! stunned, "
    "z disabled, (..) hidden cryptog), T<countdown> transmission, c<n>/e<n> credits/energy on the cell, "
    "* siphon centre."
)


def action_name(action: int) -> str:
    if action < C.ACTION_SIPHON:
        return _DIRECTION_NAMES[action]
    if action == C.ACTION_SIPHON:
        return "siphon"
    return C.PROGRAM_NAMES[action - C.FIRST_PROGRAM_ACTION]


def _content_text(s: GameState, r: int, c: int) -> str:
    b = s.board
    content = b.content[r, c]
    if content == C.CONTENT_EXIT:
        return "EXIT"
    if content == C.CONTENT_PICKUP:
        return "PICK"
    if content != C.CONTENT_BLOCK:
        return ""
    if b.question[r, c]:
        text = "?"
    elif b.block_kind[r, c] == C.BLOCK_DATA:
        text = f"D{b.points[r, c]}/{b.spawn[r, c]}"
    else:
        text = f"{C.PROGRAM_NAMES[b.program[r, c]]}/{b.spawn[r, c]}"
    return text.lower() if b.siphoned[r, c] else text


def _occupant_text(s: GameState, r: int, c: int) -> str:
    e, t, p, b = s.enemies, s.transmissions, s.player, s.board
    parts = ["@"] if (p.row, p.col) == (r, c) else []
    for i in np.flatnonzero(e.alive & (e.row == r) & (e.col == c)):
        text = f"{C.ENEMY_NAMES[e.kind[i]][0].upper()}{e.hp[i]}"
        text += "!" * bool(e.stunned[i]) + "z" * bool(e.disabled[i] > 0)
        hidden = e.kind[i] == C.CRYPTOG and r != p.row and c != p.col and not s.show
        parts.append(f"({text})" if hidden else text)
    parts += [f"T{t.countdown[i]}" for i in np.flatnonzero(t.alive & (t.row == r) & (t.col == c))]
    if b.credits[r, c] > 0:
        parts.append(f"c{b.credits[r, c]}")
    if b.energy[r, c] > 0:
        parts.append(f"e{b.energy[r, c]}")
    return "".join(parts) + "*" * bool(b.siphon_center[r, c])


def valid_action_lines(state: GameState) -> list[str]:
    """One ``key  name`` line per valid action (programs with their credit / energy cost)."""
    mask = np.asarray(action_mask(state))
    lines = []
    for action in np.flatnonzero(mask).tolist():
        line = f"  {KEY_OF_ACTION[action]:>2}  {action_name(action)}"
        if action >= C.FIRST_PROGRAM_ACTION:
            program = action - C.FIRST_PROGRAM_ACTION
            line += f" ({C.PROGRAM_CREDITS[program]}c {C.PROGRAM_ENERGY[program]}e)"
        lines.append(line)
    return lines


def render(state: GameState) -> str:
    """The board, stats and valid actions of one (unbatched) state as text."""
    s = jax.device_get(state)
    p = s.player
    border = "   +" + ("-" * _CELL_WIDTH + "+") * C.BOARD_SIZE
    lines = ["    " + "".join(f"{c:^{_CELL_WIDTH + 1}}" for c in range(C.BOARD_SIZE)), border]
    for r in reversed(range(C.BOARD_SIZE)):
        top = "".join(f"{_content_text(s, r, c)[:_CELL_WIDTH]:<{_CELL_WIDTH}}|" for c in range(C.BOARD_SIZE))
        bottom = "".join(f"{_occupant_text(s, r, c)[:_CELL_WIDTH]:<{_CELL_WIDTH}}|" for c in range(C.BOARD_SIZE))
        lines += [f" {r} |{top}", f"   |{bottom}", border]
    owned = ", ".join(C.PROGRAM_NAMES[i] for i in np.flatnonzero(s.owned)) or "none"
    flags = [name for name, on in (("SHOW", s.show), ("CALM", s.calm), ("STEP", s.step_pending)) if on]
    lines += [
        f"hp {p.hp}/{C.MAX_HP}  credits {p.credits}  energy {p.energy}  siphons {p.data_siphons}  "
        f"attack {p.attack_damage}  score {p.score}",
        f"stage {s.stage}  turn {s.turn}  next scheduled task at turn {s.sched_next}"
        + (f"  active: {' '.join(flags)}" if flags else ""),
        f"programs: {owned}",
        "valid actions:",
        *valid_action_lines(state),
    ]
    return "\n".join(lines)
