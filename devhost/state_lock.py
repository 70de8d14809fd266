"""One run per state folder: a second `make run` over the folders a first one keeps its state in stops at once,
naming the process that holds them, instead of running beside it and tidying away what the first one keeps there."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

LOCK_NAME = "run.lock"


class FolderHeld(Exception):
    def __init__(self, folder: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{folder} is in use by {holder} (another `make run` of this checkout?): stop that one first")
        self.folder, self.pid = folder, pid


@contextmanager
def holding(*folders: Path) -> Iterator[None]:
    """Holds each folder's lock until the block ends. The lock is the kernel's, on a file that names its holder's
    pid: it ends with its process, so a crashed run leaves a file the next one simply takes over."""
    with ExitStack() as held:
        for folder in folders:
            held.enter_context(_holding(folder))
        yield


@contextmanager
def _holding(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderHeld(folder, _pid_in(lock)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # the file stays: removing it would let a third run lock a file no one else sees
    finally:
        os.close(fd)


def _pid_in(lock: Path) -> int | None:
    text = lock.read_text(encoding="utf-8", errors="replace").strip()
    return int(text) if text.isdigit() else None
