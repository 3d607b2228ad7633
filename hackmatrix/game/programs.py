"""The 23 programs (§4.3) as one branch-free function.

Under ``vmap`` every branch of a switch runs anyway, so instead of 23 whole-state branches each field's new value is
computed once and picked with ``jnp.where`` on the program index. Programs that act alike share one path: the
damage programs (DEBUG, ROW, COL, HACK, ANTI-V, D_BOM) one "who is hit, for how much" vector, PUSH/PULL one
desired-cell computation, CRASH/WARP one "removed entities, one kill per cell" count, and the PUSH/PULL collision
test and the CRASH/WARP per-cell test share one pairwise comparison. Fields no program touches are passed
through as the same values; only UNDO selects the restored fields.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int, PRNGKeyArray, UInt32

from hackmatrix.game import constants as C
from hackmatrix.game.entities import cell_index, damage_enemies, first_in_order
from hackmatrix.game.history import pop_snapshot
from hackmatrix.game.neighbourhood import chebyshev, grid_at, manhattan, on_board, surrounding_cells
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.select import select_tree
from hackmatrix.game.state import Enemies, GameState

def first_per_cell(member: Bool[Array, " N"], cell: Int[Array, " N"], order: Int[Array, " N"]) -> Bool[Array, " N"]:
    """For each member, whether it comes first in list order among the members sharing its ``cell``."""
    earlier_same_cell = member[None, :] & (cell[None, :] == cell[:, None]) & (order[None, :] < order[:, None])
    return member & ~earlier_same_cell.any(1)


def push_pull_targets(
    state: GameState, pull: Bool[Array, ""]
) -> tuple[Bool[Array, " E"], Int[Array, " E"], Int[Array, " E"]]:
    """(has_desired, row, col) of the cell each enemy wants to reach under PUSH (or PULL), before collisions.

    Candidates, in order: the diagonal/straight step, the row step (if the row differs), the column step (if the
    column differs); kept if on the board (and, for PULL, not the player's cell). PUSH wants the farthest from
    the player, PULL the nearest; ties go to the earlier candidate.
    """
    p, e = state.player, state.enemies
    away = jnp.where(pull, -1, 1)
    d_row, d_col = jnp.sign(e.row - p.row) * away, jnp.sign(e.col - p.col) * away
    rows = jnp.stack([e.row + d_row, e.row + d_row, e.row])
    cols = jnp.stack([e.col + d_col, e.col, e.col + d_col])
    exists = jnp.stack([jnp.ones_like(e.alive), d_row != 0, d_col != 0])
    at_player = (rows == p.row) & (cols == p.col)
    valid = exists & on_board(rows, cols) & ~(pull & at_player)
    preference = manhattan(rows, cols, p.row, p.col) * away  # argmax keeps the first of equal values
    choice = jnp.argmax(jnp.where(valid, preference, -C.NUM_CELLS), axis=0)
    row = jnp.take_along_axis(rows, choice[None], 0)[0]
    col = jnp.take_along_axis(cols, choice[None], 0)[0]
    return e.alive & valid.any(0), row, col


def nth_alive(alive: Bool[Array, " N"], index: Int[Array, ""]) -> Bool[Array, " N"]:
    """One-hot of the ``index``-th (0-based) True entry of ``alive`` in slot order (all False if there is none).

    The flags are packed into 32-bit words and the entry found by population counts (first the word, then a
    binary search inside it): a handful of scalar operations where a cumulative sum over the slots costs
    quadratic work in XLA on CPU.
    """
    words_needed = -(-alive.shape[0] // 32)
    padded = jnp.pad(alive, (0, 32 * words_needed - alive.shape[0])).reshape(words_needed, 32)
    words = (padded.astype(jnp.uint32) << jnp.arange(32, dtype=jnp.uint32)).sum(1, dtype=jnp.uint32)
    counts = jax.lax.population_count(words).astype(jnp.int32)
    through = jnp.cumsum(counts)  # a few words only
    word = (through <= index).sum()
    rank = index - (through - counts)[jnp.minimum(word, words_needed - 1)]
    bits = words[jnp.minimum(word, words_needed - 1)]
    position = jnp.zeros((), jnp.int32)
    for width in (16, 8, 4, 2, 1):
        window = (bits >> position.astype(jnp.uint32)) & jnp.uint32((1 << width) - 1)
        below = jax.lax.population_count(window).astype(jnp.int32)
        skip = below <= rank
        rank = jnp.where(skip, rank - below, rank)
        position = jnp.where(skip, position + width, position)
    return (jnp.arange(alive.shape[0]) == 32 * word + position) & (word < words_needed)


_TRITS_PER_WORD = 6
_POLY_WORDS = -(-C.MAX_ENEMIES // _TRITS_PER_WORD)


def trits(words: UInt32[Array, " w"]) -> Int[Array, " n"]:
    """Uniform draws from {0, 1, 2}, six from each random 32-bit word (its base-3 digits modulo 3**6).

    The reduction is biased by less than 2e-7, and 8 words instead of one per enemy matter: random bits are the
    costliest part of a program step on CPU.
    """
    digits = words[:, None] % jnp.uint32(3**_TRITS_PER_WORD) // jnp.uint32(3) ** jnp.arange(
        _TRITS_PER_WORD, dtype=jnp.uint32
    )
    return (digits % jnp.uint32(3)).reshape(-1).astype(jnp.int32)


def _damage(state: GameState, program: Int[Array, ""]) -> tuple[Bool[Array, " E"], Int[Array, " E"]]:
    """(hit, damage) of the damage programs; nobody is hit under any other program.

    D_BOM's target daemon gets damage equal to its hp (it is destroyed), the enemies around it 1.
    """
    p, e, board = state.player, state.enemies, state.board
    daemon = e.alive & (e.kind == C.DAEMON)
    distance = jnp.where(daemon, manhattan(e.row, e.col, p.row, p.col), C.NUM_CELLS)
    any_daemon, bomb_slot = first_in_order(daemon & (distance == distance.min()), e.order)
    bomb = (jnp.arange(C.MAX_ENEMIES) == bomb_slot) & any_daemon
    around_bomb = chebyshev(e.row, e.col, e.row[bomb_slot], e.col[bomb_slot]) == 1

    hit = (
        ((program == C.DEBUG) & grid_at(board.content == C.CONTENT_BLOCK, e.row, e.col))
        | ((program == C.ROW) & (e.row == p.row))
        | ((program == C.COL) & (e.col == p.col))
        | ((program == C.HACK) & grid_at(board.siphoned, e.row, e.col))
        | ((program == C.ANTI_V) & (e.kind == C.VIRUS))
        | ((program == C.D_BOM) & (bomb | around_bomb))
    )
    fixed_one = (program == C.ANTI_V) | (program == C.D_BOM)
    damage = jnp.where(bomb & (program == C.D_BOM), e.hp, jnp.where(fixed_one, 1, p.attack_damage))
    return hit, damage


def _polymorph(enemies: Enemies, draws: Int[Array, " E"]) -> tuple[Int[Array, " E"], Int[Array, " E"]]:
    """POLY: each enemy becomes one of the three other types (``draws`` in 0..2), keeping the damage taken."""
    max_hp = jnp.asarray(C.ENEMY_MAX_HP)
    kind = (enemies.kind + 1 + draws) % C.NUM_ENEMY_TYPES
    return kind, max_hp[kind] - (max_hp[enemies.kind] - enemies.hp)


def apply_program(
    state: GameState, program: Int[Array, ""], *, key: PRNGKeyArray
) -> tuple[GameState, ActionOutcome]:
    """Pay the costs of program ``program`` (0-22, assumed valid) and apply its effect (§4.3).

    Only WAIT ends the turn; WARP onto the exit position reports ``reached_exit``. Kills follow §7: enemies
    killed by damage or POLY each count, CRASH and WARP count at most one enemy and one transmission per cell;
    from_scheduled entities never count.
    """
    p, e, t, board = state.player, state.enemies, state.transmissions, state.board

    def running(*programs):
        return jnp.isin(program, jnp.asarray(programs))

    # The random words of POLY (new types) and WARP (an index among all enemies and transmissions, counted in
    # slot order: the choice is uniform, so any fixed order will do; modulo n <= 84 is biased by under 1e-7).
    words = jax.random.bits(key, (_POLY_WORDS + 1,))
    targets = jnp.concatenate([e.alive, t.alive])
    warp_index = words[-1] % jnp.maximum(targets.sum(), 1).astype(jnp.uint32)
    chosen = nth_alive(targets, warp_index.astype(jnp.int32))
    warp_row = jnp.where(chosen, jnp.concatenate([e.row, t.row]), 0).sum()
    warp_col = jnp.where(chosen, jnp.concatenate([e.col, t.col]), 0).sum()
    warp_onto_enemy = chosen[: C.MAX_ENEMIES].any()

    # CRASH / WARP removals, PUSH / PULL moves.
    crash = running(C.CRASH)
    warp = running(C.WARP)
    push_pull = running(C.PUSH, C.PULL)
    removed_e = e.alive & (
        (crash & (chebyshev(e.row, e.col, p.row, p.col) == 1))
        | (warp & warp_onto_enemy & (e.row == warp_row) & (e.col == warp_col))
    )
    removed_t = t.alive & (
        (crash & (chebyshev(t.row, t.col, p.row, p.col) == 1))
        | (warp & ~warp_onto_enemy & (t.row == warp_row) & (t.col == warp_col))
    )
    wants, want_row, want_col = push_pull_targets(state, running(C.PULL))
    first = first_per_cell(
        jnp.where(push_pull, wants, removed_e),
        jnp.where(push_pull, cell_index(want_row, want_col), cell_index(e.row, e.col)),
        e.order,
    )
    moves = push_pull & first
    cell_kills = (first & ~push_pull & ~e.from_scheduled).sum(dtype=jnp.int32) + (
        first_per_cell(removed_t, cell_index(t.row, t.col), t.order) & ~t.from_scheduled
    ).sum(dtype=jnp.int32)

    poly = running(C.POLY)
    poly_kind, poly_hp = _polymorph(e, trits(words[:-1])[: C.MAX_ENEMIES])
    hit, damage = _damage(state, program)
    enemies, damage_kills = damage_enemies(
        e._replace(
            alive=e.alive & ~removed_e,
            row=jnp.where(moves, want_row, e.row),
            col=jnp.where(moves, want_col, e.col),
            kind=jnp.where(poly, poly_kind, e.kind),
            hp=jnp.where(poly, poly_hp, e.hp),
        ),
        hit,
        damage,
    )
    transmissions = t._replace(
        alive=t.alive & ~removed_t, countdown=t.countdown + 3 * running(C.DELAY).astype(jnp.int32)
    )

    crashed = crash & surrounding_cells(p.row, p.col) & (board.content == C.CONTENT_BLOCK)
    reduced = running(C.REDUC) & (board.content == C.CONTENT_BLOCK) & ~board.siphoned
    spawn = jnp.where(reduced, jnp.maximum(board.spawn - 1, 0), board.spawn)
    new_board = board._replace(
        content=jnp.where(crashed, C.CONTENT_EMPTY, board.content),
        block_kind=jnp.where(crashed, C.BLOCK_NONE, board.block_kind),
        question=board.question & ~crashed,
        points=jnp.where(crashed, 0, board.points),
        program=jnp.where(crashed, C.NO_PROGRAM, board.program),
        spawn=jnp.where(crashed, 0, spawn),
    )

    def plus(value, *programs, amount=1):
        return value + amount * running(*programs).astype(jnp.int32)

    player = p._replace(
        row=jnp.where(warp, warp_row, p.row),
        col=jnp.where(warp, warp_col, p.col),
        hp=jnp.where(running(C.RESET), C.MAX_HP, p.hp),
        credits=p.credits - jnp.asarray(C.PROGRAM_CREDITS)[program],
        energy=plus(p.energy - jnp.asarray(C.PROGRAM_ENERGY)[program], C.EXCH, amount=4),
        data_siphons=plus(p.data_siphons, C.SIPH_PLUS),
        attack_damage=plus(p.attack_damage, C.ATK_PLUS),
        score=plus(p.score, C.SCORE, amount=C.NUM_STAGES - state.stage),
    )
    after = state._replace(
        player=player,
        board=new_board,
        enemies=enemies,
        transmissions=transmissions,
        show=state.show | running(C.SHOW),
        calm=state.calm | running(C.CALM),
        step_pending=state.step_pending | running(C.STEP),
        atk_plus_uses=plus(state.atk_plus_uses, C.ATK_PLUS),
    )
    # UNDO's cost is paid and then overwritten by the restored credits, so restoring is all it does.
    after = select_tree(running(C.UNDO), pop_snapshot(state), after)

    outcome = ActionOutcome.nothing()._replace(
        ends_turn=running(C.WAIT),
        reached_exit=warp & (warp_row == state.exit_row) & (warp_col == state.exit_col),
        kills=cell_kills + damage_kills,
    )
    return after, outcome
