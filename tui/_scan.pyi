"""Types of the compiled module built from tui/_scan.c (absent where no C compiler was found)."""

from typing_extensions import Buffer

KERNEL_VERSION: int

# Reading kernels (reference: tui/sources/tensorboard/reference.py)
def frame(buffer: Buffer, start: int, max_record: int, offsets: Buffer, lengths: Buffer, /) -> tuple[int, int]: ...
def next_header(buffer: Buffer, start: int, max_record: int, /) -> int: ...
def decode_scalars(
    buffer: Buffer,
    offsets: Buffer,
    lengths: Buffer,
    tag_ids: Buffer,
    steps: Buffer,
    walls: Buffer,
    values: Buffer,
    /,
) -> list[bytes]: ...
def crc32c(data: Buffer, software: bool = False, /) -> int: ...

# Read-only mappings (tui/live/shipping.py)
class Mapped(Buffer):
    def __buffer__(self, flags: int, /) -> memoryview: ...

def map_readonly(fd: int, length: int, /) -> Mapped: ...
