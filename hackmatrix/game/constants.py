"""Fixed numbers of the HackMatrix rules (shared/spec/rules.md) and the capacities of the fixed-shape state.

Every table here is indexed the way the spec indexes it, so code can say ``PROGRAM_CREDITS[p]`` for program index
``p`` (action ``5 + p``).
"""

from __future__ import annotations

import numpy as np

BOARD_SIZE = 6
NUM_CELLS = BOARD_SIZE * BOARD_SIZE
CORNERS = ((0, 0), (0, 5), (5, 0), (5, 5))

# Canonical direction order (§0): up, down, left, right as (d_row, d_col).
DIRECTIONS = np.array([(1, 0), (-1, 0), (0, -1), (0, 1)], dtype=np.int32)

# --- Actions (§3) ---------------------------------------------------------------------------------------------
NUM_ACTIONS = 28
ACTION_UP, ACTION_DOWN, ACTION_LEFT, ACTION_RIGHT = 0, 1, 2, 3
ACTION_SIPHON = 4
FIRST_PROGRAM_ACTION = 5

# --- Programs (§3.3) ------------------------------------------------------------------------------------------
PROGRAM_NAMES = (
    "PUSH", "PULL", "CRASH", "WARP", "POLY", "WAIT", "DEBUG", "ROW", "COL", "UNDO", "STEP", "SIPH+",
    "EXCH", "SHOW", "RESET", "CALM", "D_BOM", "DELAY", "ANTI-V", "SCORE", "REDUC", "ATK+", "HACK",
)  # fmt: skip
NUM_PROGRAMS = len(PROGRAM_NAMES)
PROGRAM_INDEX = {name: i for i, name in enumerate(PROGRAM_NAMES)}
(
    PUSH, PULL, CRASH, WARP, POLY, WAIT, DEBUG, ROW, COL, UNDO, STEP, SIPH_PLUS,
    EXCH, SHOW, RESET, CALM, D_BOM, DELAY, ANTI_V, SCORE, REDUC, ATK_PLUS, HACK,
) = range(NUM_PROGRAMS)  # fmt: skip
PROGRAM_CREDITS = np.array([0, 0, 3, 2, 1, 0, 3, 3, 3, 1, 0, 5, 4, 2, 0, 2, 3, 1, 3, 0, 2, 4, 2], dtype=np.int32)
PROGRAM_ENERGY = np.array([2, 2, 2, 2, 1, 1, 0, 1, 1, 0, 3, 0, 0, 0, 4, 4, 0, 2, 0, 5, 1, 4, 2], dtype=np.int32)
PROGRAM_SPAWN_COST = np.array([4, 4, 6, 5, 3, 1, 4, 2, 2, 3, 4, 7, 3, 2, 2, 6, 4, 4, 4, 5, 3, 8, 4], dtype=np.int32)
MAX_ATK_PLUS_USES = 2

# --- Enemies (§2.3) -------------------------------------------------------------------------------------------
ENEMY_NAMES = ("virus", "daemon", "glitch", "cryptog")
ENEMY_INDEX = {name: i for i, name in enumerate(ENEMY_NAMES)}
VIRUS, DAEMON, GLITCH, CRYPTOG = range(4)
NUM_ENEMY_TYPES = 4
ENEMY_MAX_HP = np.array([2, 3, 2, 2], dtype=np.int32)
ENEMY_STEPS = np.array([2, 1, 1, 1], dtype=np.int32)

# --- Cell contents (§1.4) and block kinds (§2.2) --------------------------------------------------------------
CONTENT_EMPTY, CONTENT_BLOCK, CONTENT_PICKUP, CONTENT_EXIT = 0, 1, 2, 3
BLOCK_NONE, BLOCK_DATA, BLOCK_PROGRAM = 0, 1, 2
BLOCK_KIND_NAMES = {"data": BLOCK_DATA, "program": BLOCK_PROGRAM}
NO_PROGRAM = -1

# --- Capacities of the fixed-shape state (§2.5) ---------------------------------------------------------------
MAX_ENEMIES = 48  # "use a capacity of at least 48"; creating one while full drops it.
MAX_TRANSMISSIONS = 36  # at most one per cell, so 36 can never be exceeded.
HISTORY_SIZE = 16  # UNDO snapshots kept; the oldest is dropped past this.
MAX_BLOCKS = 11
PLACEMENT_DRAWS = 100  # per phase of the transmission placement procedure (§5.6)
GENERATION_ATTEMPTS = 100  # stage-generation attempts before giving up (§6.2)
NUM_STAGES = 8
VICTORY_STAGE = 9

# --- Scheduled tasks (§5.5) -----------------------------------------------------------------------------------
SCHED_BASE = 13  # sched_interval = 13 - stage at each stage start
SCHED_MIN_INTERVAL = 4
SCHED_SIPHON_DELAY = 5

# --- Stage generation (§6.2) ----------------------------------------------------------------------------------
MIN_BLOCKS, MAX_BLOCKS_DRAWN = 5, 11
QUESTION_PROB = 0.1
RESOURCE_AMOUNT_PROBS = np.array([0.45, 0.45, 0.10], dtype=np.float32)  # amounts 1, 2, 3
START_BONUS_CREDITS = 10
START_BONUS_ENERGY = 11
MAX_HP = 3

# --- Reward (§7): component names in spec order ---------------------------------------------------------------
REWARD_COMPONENTS = (
    "step_penalty", "stage_completion", "score_gain", "kills", "data_siphon", "distance_shaping",
    "damage_penalty", "hp_recovery", "victory", "death_penalty", "siphon_death_penalty", "resource_gain",
    "resource_holding", "program_waste", "siphon_quality",
)  # fmt: skip
NUM_REWARD_COMPONENTS = len(REWARD_COMPONENTS)
REWARD_INDEX = {name: i for i, name in enumerate(REWARD_COMPONENTS)}

# --- Observation (§8) -----------------------------------------------------------------------------------------
NUM_PLAYER_FEATURES = 10
NUM_GRID_CHANNELS = 42
OBS_SIZE = NUM_PLAYER_FEATURES + NUM_PROGRAMS + NUM_CELLS * NUM_GRID_CHANNELS  # 1545
