"""The terminal game: keys, rejected input, reward breakdowns, the end of a game, and the ``main`` entry point."""

from __future__ import annotations

import io
import random
import re

import pytest

from hackmatrix import play
from hackmatrix.game import constants as C
from hackmatrix.game.render import ACTION_KEYS


def valid_keys(written: list[str]) -> list[str]:
    """The keys listed under 'valid actions' of the last board written."""
    listing = "\n".join(written).rsplit("valid actions:", 1)[1]
    return re.findall(r"^ +(\S+) ", listing, flags=re.MULTILINE)


def test_play_rejects_bad_input_shows_the_reward_and_quits():
    written: list[str] = []

    def typed():
        yield "nonsense"
        invalid = next(key for key in ACTION_KEYS if key not in valid_keys(written))
        yield invalid
        yield valid_keys(written)[0]
        yield "q"
        yield "w"  # never read

    episode_return = play.play(typed(), seed=1, write=written.append)
    screen = "\n".join(written)
    assert "Unknown key 'nonsense'" in screen
    assert "is not possible now" in screen
    [reward_line] = [line for line in written if ": reward " in line]
    assert "step_penalty -0.01" in reward_line
    assert float(re.search(r"return ([+-][\d.]+)", reward_line).group(1)) == pytest.approx(episode_return, abs=0.01)
    assert written[-1] == "Quit."
    assert " 5 |" in screen and " 0 |" in screen and screen.index(" 5 |") < screen.index(" 0 |")  # row 5 on top


def test_a_game_played_to_its_end():
    written: list[str] = []
    chooser = random.Random(0)

    def typed():
        for _ in range(3000):
            yield chooser.choice(valid_keys(written))

    episode_return = play.play(typed(), seed=2, write=written.append)
    assert "Game over" in written[-1]
    rewards = [float(m.group(1)) for line in written for m in [re.search(r": reward ([+-][\d.]+)", line)] if m]
    assert sum(rewards) == pytest.approx(episode_return, abs=0.01 * len(rewards))


def test_main_reads_stdin_and_prompts(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    play.main(["--seed", "5"])
    out = capsys.readouterr().out
    assert out.startswith("HackMatrix, seed 5")
    assert "> Quit." in out and "valid actions:" in out


def test_every_action_has_a_key():
    assert sorted(ACTION_KEYS.values()) == list(range(C.NUM_ACTIONS))
