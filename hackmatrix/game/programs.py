"""The 23 programs (§4.3) as one branch-free function.

Under ``vmap`` every branch of a switch runs anyway, so instead of 23 whole-state branches each field's new value is
computed once and picked with ``jnp.where`` on the program index. Programs that act alike share one path: the
damage programs (DEBUG, ROW, COL, HACK, ANTI-V, D_BOM) one "who is hit, for how much" vector, PUSH and PULL one
desired-cell computation, CRASH and WARP one "removed entities" mask, and the PUSH/PULL collision test and the
CRASH/WARP "one kill per cell" test one scatter (only one of them runs at a time). Fields no program touches are
passed through as the same values; only UNDO selects the restored fields.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int, PRNGKeyArray, UInt32

from hackmatrix.game import constants as C
from hackmatrix.game.entities import cell_index, damage_enemies
from hackmatrix.game.history import pop_snapshot
from hackmatrix.game.neighbourhood import chebyshev, grid_at, manhattan, on_board, surrounding_cells
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.reductions import alive_slot, first_mask, first_per_cell
from hackmatrix.game.select import select_tree
from hackmatrix.game.state import Enemies, GameState


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
    rows = (e.row + d_row, e.row + d_row, e.row)
    cols = (e.col + d_col, e.col, e.col + d_col)
    exists = (jnp.ones_like(e.alive), d_row != 0, d_col != 0)

    def preference(row, col, exists):
        valid = exists & on_board(row, col) & ~(pull & (row == p.row) & (col == p.col))
        return jnp.where(valid, manhattan(row, col, p.row, p.col) * away, -C.NUM_CELLS)

    pref0, pref1, pref2 = (preference(*candidate) for candidate in zip(rows, cols, exists, strict=True))
    # The first candidate of the largest preference, by comparisons (an argmax over 3 would be a reduction).
    take0 = (pref0 >= pref1) & (pref0 >= pref2)
    take1 = ~take0 & (pref1 >= pref2)
    row = jnp.where(take0, rows[0], jnp.where(take1, rows[1], rows[2]))
    col = jnp.where(take0, cols[0], jnp.where(take1, cols[1], cols[2]))
    best = jnp.maximum(jnp.maximum(pref0, pref1), pref2)
    return e.alive & (best > -C.NUM_CELLS), row, col


def _mix(x: UInt32[Array, "*n"]) -> UInt32[Array, "*n"]:
    """The murmur3 32-bit finalizer: a bijection whose every output bit depends on every input bit."""
    x = (x ^ (x >> 16)) * jnp.uint32(0x85EBCA6B)
    x = (x ^ (x >> 13)) * jnp.uint32(0xC2B2AE35)
    return x ^ (x >> 16)


def uniform_trits(seed: UInt32[Array, ""]) -> Int[Array, " E"]:
    """One uniform draw from {0, 1, 2} per enemy slot, from one random 32-bit ``seed``.

    Each slot's word is the seed mixed with its slot number; modulo 3 it is biased by under 1e-9. Threefry bits
    cost about 5 microseconds per word for 256 states on CPU, so one seed replaces 48 words.
    """
    slots = jnp.arange(C.MAX_ENEMIES, dtype=jnp.uint32)
    return (_mix(seed + slots * jnp.uint32(0x9E3779B9)) % jnp.uint32(3)).astype(jnp.int32)


def _damage(state: GameState, program: Int[Array, ""]) -> tuple[Bool[Array, " E"], Int[Array, " E"]]:
    """(hit, damage) of the damage programs; nobody is hit under any other program.

    D_BOM's target (nearest daemon, then first in list order) gets damage equal to its hp, so it is destroyed;
    the enemies on the cells surrounding it get 1.
    """
    p, e, board = state.player, state.enemies, state.board
    daemon = e.alive & (e.kind == C.DAEMON)
    distance = jnp.where(daemon, manhattan(e.row, e.col, p.row, p.col), C.NUM_CELLS)
    _, bomb = first_mask(daemon & (distance == distance.min()), e.order)
    bomb_cell = jnp.where(bomb, cell_index(e.row, e.col), 0).sum()
    around_bomb = chebyshev(e.row, e.col, bomb_cell // C.BOARD_SIZE, bomb_cell % C.BOARD_SIZE) == 1

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


def _max_hp(kind: Int[Array, " E"]) -> Int[Array, " E"]:
    # A select per type, not a table lookup: under vmap a lookup is a gather, several times slower.
    return sum(jnp.where(kind == k, int(hp), 0) for k, hp in enumerate(C.ENEMY_MAX_HP))


def _polymorph(enemies: Enemies, draws: Int[Array, " E"]) -> tuple[Int[Array, " E"], Int[Array, " E"]]:
    """POLY: each enemy becomes one of the three other types (``draws`` in 0..2), keeping the damage taken."""
    kind = (enemies.kind + 1 + draws) % C.NUM_ENEMY_TYPES
    return kind, _max_hp(kind) - (_max_hp(enemies.kind) - enemies.hp)


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

    crash, warp, poly = running(C.CRASH), running(C.WARP), running(C.POLY)
    push_pull = running(C.PUSH, C.PULL)

    # Two random words: an index among all enemies and transmissions for WARP (counted in slot order: the choice
    # is uniform, so any fixed order will do; modulo n <= 84 it is biased by under 1e-7) and POLY's seed.
    warp_word, poly_seed = jax.random.bits(key, (2,))
    warp_slot = alive_slot(jnp.concatenate([e.alive, t.alive]), warp_word)
    warp_row = jnp.concatenate([e.row, t.row])[warp_slot]
    warp_col = jnp.concatenate([e.col, t.col])[warp_slot]
    warp_onto_enemy = warp_slot < C.MAX_ENEMIES

    # CRASH and WARP remove whole cells' worth of enemies or transmissions; PUSH and PULL move enemies.
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
    # One kill per cleared cell: its first enemy, and its transmission (a cell holds at most one, §2.5).
    cell_kills = (first & ~push_pull & ~e.from_scheduled).sum(dtype=jnp.int32) + (
        removed_t & ~t.from_scheduled
    ).sum(dtype=jnp.int32)

    poly_kind, poly_hp = _polymorph(e, uniform_trits(poly_seed))
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

    block = board.content == C.CONTENT_BLOCK
    crashed = crash & surrounding_cells(p.row, p.col) & block
    reduced = running(C.REDUC) & block & ~board.siphoned
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
