"""Types of the compiled module built from tui/_kernels.c (absent where no C compiler was found)."""

from typing_extensions import Buffer

KERNEL_VERSION: int

# Verdict engine kernels (references in tui/judging)
def ema(values: Buffer, out: Buffer, weight: float, last: float, count: int, /) -> tuple[float, int]: ...
def cusum(
    values: Buffer,
    sigmas: Buffer,
    rhos: Buffer,
    sums: Buffer,
    bests: Buffer,
    indices: Buffer,
    recent: Buffer,
    kappa: float,
    clip: float,
    count: int,
    best: float,
    best_index: int,
    sum: float,
    recent_len: int,
    median_low: float,
    /,
) -> tuple[int, float, int, float, int, float]: ...
