"""Training: the chunked trainer, its callbacks and checkpoints."""
