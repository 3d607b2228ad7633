"""Train masked PPO on HackMatrix: the command line of :mod:`hackmatrix.train` (``--help`` lists every flag).

    python examples/train_hackmatrix.py                      # a short CPU run (what `make train` does)
    python examples/train_hackmatrix.py --wandb --run-name my-run --total-timesteps 5000000
"""

import sys

from hackmatrix.train import main

if __name__ == "__main__":
    sys.exit(main(prog="python examples/train_hackmatrix.py"))
