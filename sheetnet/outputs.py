"""Every file sheetnet writes goes through here: the one place that decides what an output path means.

- A regular file, or a new name, is written to a temporary file in the same folder, synced to disk
  and renamed over it: a reader sees the old file or the new one, never half of one. A replaced file
  keeps its permission bits (and its owner, when we may set it); a new one gets the umask's
  (0666 less the umask), not mkstemp's 0600.
- A symbolic link is followed: the file it names is replaced, the link stays a link.
- A file with other hard links is replaced by a new file, as any rename does: the other names keep
  the old contents (nothing is lost; writing into the shared inode could leave half a file).
- A character device or a FIFO (/dev/null, /dev/stdout, a named pipe) is written directly: renaming a
  regular file onto it would replace the device. A FIFO nobody reads is refused, not waited for.
- A folder, a block device, a socket or a read-only file is refused.
- Any failure — a full disk, a name too long, a folder we may not write, a signal — removes the
  temporary file and, for the OS's errors, becomes one line (UnusableInput naming the path).
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable

from sheetnet import interrupts
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.record import record


@record(frozen=True)
class _Target:
    path: Path  # where the bytes go: the real file (links followed), or the device / FIFO as named
    direct: bool  # a device or FIFO: written where it is, never replaced
    existing: os.stat_result | None  # the file that will be replaced, if any


def check(path: Path) -> None:
    """Refuse, before any work, an output we could not or should not write (one line, naming it)."""
    target = _target(path)
    if not target.direct and not os.access(target.path.parent, os.W_OK):
        raise UnusableInput(_("cannot write into the folder {folder}").format(folder=_quoted(target.path.parent)), path)


def write(path: str | Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write path with fill(binary file): atomically for a file, directly for a device or FIFO."""
    path = Path(path)
    target = _target(path)
    try:
        if target.direct:
            _write_directly(target, fill)
        else:
            _replace(target, fill)
    except (UnusableInput, KeyboardInterrupt, interrupts.Terminated):
        raise
    except BaseException as e:
        failure = _os_error_in(e)
        if failure is None:
            raise
        raise UnusableInput(_describe(failure, target.path), path) from None


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    write(path, lambda fh: fh.write(text.encode(encoding)))


@contextmanager
def updating(path: Path):
    """Hold an advisory lock on a file for as long as we update it in place (`train --in-place`): a
    second command updating the same workbook meanwhile is refused instead of silently losing the
    first one's work. Nothing is created beside the file, and the lock goes with the process."""
    path = Path(path)
    for _attempt in range(5):
        try:
            st = os.stat(path)
        except OSError:
            yield  # not there or not readable: the reader says so, in its own words
            return
        if not stat.S_ISREG(st.st_mode):
            yield  # a FIFO or a device: never opened here (opening a FIFO waits); the reader refuses it
            return
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        key = _key(path)
        try:
            if not _lock(fd):
                raise UnusableInput(_("another sheetnet command is updating it; try again when it has finished"), path)
            now = os.stat(path)
            if (now.st_dev, now.st_ino) != (os.fstat(fd).st_dev, os.fstat(fd).st_ino):
                continue  # the other command replaced it between our open and our lock: lock the new file
            _held[key] = fd
            try:
                yield
            finally:
                if _held.get(key) == fd:
                    del _held[key]
                else:
                    fd = None  # already let go before the rename (Windows)
            return
        finally:
            if fd is not None:
                _close_quietly(fd)
    raise UnusableInput(_("another sheetnet command keeps replacing it; try again when it has finished"), path)


_held: dict[str, int] = {}  # real path → the descriptor holding its lock
_WINDOWS_LOCK_OFFSET = 0x7FFF_FFF0  # one byte far past the end: Windows locks are mandatory, the data stays readable


def _lock(fd: int) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:  # a file system without locks (some network shares): go on unlocked
            return True
        return True
    try:
        import msvcrt
    except ImportError:
        return True  # neither: no lock to take
    try:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _release_before_replacing(path: Path) -> None:
    """Windows refuses to rename onto a file open anywhere, our own lock's descriptor included:
    let it go just before the rename (elsewhere the lock is kept until the new file is in place)."""
    if os.name != "nt":
        return
    fd = _held.pop(_key(path), None)
    if fd is not None:
        _close_quietly(fd)


def _key(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


# -- what a path names -------------------------------------------------------------------------
def _target(path: Path) -> _Target:
    try:
        st = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        st = None
    except OSError as e:  # a link loop, a name too long, a file where a folder should be
        raise UnusableInput(_describe(e, path), path) from None
    if st is None:
        real = Path(os.path.realpath(path))  # a dangling link: the file it names is created
        if not real.parent.is_dir():
            raise UnusableInput(_("cannot write: the folder {folder} does not exist").format(
                folder=_quoted(real.parent)), path)
        return _Target(real, False, None)
    if stat.S_ISDIR(st.st_mode):
        raise UnusableInput(_("cannot write: it is a directory"), path)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return _Target(path, True, st)
    if not stat.S_ISREG(st.st_mode):
        raise UnusableInput(_("cannot write: it is not a regular file, a FIFO or a character device"), path)
    if not st.st_mode & 0o222:
        raise UnusableInput(_("cannot write: the file is read-only"), path)
    if _same_file(st, sys.stdout):  # `--csv /dev/stdout > out.txt`: into the stream, not over its file
        return _Target(path, True, st)
    return _Target(Path(os.path.realpath(path)), False, st)


def refuse_clashes(inputs: list[Path], outputs: list[tuple[str, Path]]) -> None:
    """Refuse, before any work, an output (option, path) that is an input or another output: the same
    file by another spelling, through a symbolic link, or as a hard link (same device and inode)."""
    seen: dict[tuple, str] = {}
    for path in inputs:
        key = _identity(path)
        if key is not None:
            seen.setdefault(key, _("the input {path} (an input is never modified)").format(path=path))
    for option, path in outputs:
        key = _identity(path)
        if key in seen:
            raise UnusableInput(_("{option} {path}: is {other}").format(option=option, path=path, other=seen[key]))
        seen[key] = _("also the output of {option}").format(option=option)


def _identity(path: Path) -> tuple | None:
    """What a path stands for: an existing file's device and inode, or a new file's real name."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            return ("new", os.path.normcase(os.path.realpath(path)))
        except (OSError, ValueError):
            return None
    except (OSError, ValueError):
        return None
    return ("file", st.st_dev, st.st_ino)


def same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths name one file (through links, another spelling, a hard link)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _same_file(st: os.stat_result, stream) -> bool:
    try:
        other = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # no real stream (pytest's capture, closed)
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


# -- writing -----------------------------------------------------------------------------------
def _replace(target: _Target, fill: Callable[[BinaryIO], None]) -> None:
    folder = target.path.parent
    # named before it exists: a signal while it is being made still finds it to remove
    tmp = folder / f".{target.path.name[:24]}.{uuid.uuid4().hex[:12]}.sheetnet-tmp"
    try:
        fh = _open_temporary(tmp)
        with fh:
            if target.existing is not None:
                _keep_mode_and_owner(tmp, target.existing)
            interrupts.phase("write")
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename: a crash leaves the old file or the new one
        interrupts.phase("replace")
        _release_before_replacing(target.path)
        os.replace(tmp, target.path)
        tmp = None
        _sync_folder(folder)
        interrupts.phase("written")
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _open_temporary(tmp: Path) -> BinaryIO:
    """The new file beside the target. Its name is short whatever the target's (a target named at the
    length limit must still get a temporary); os.open with 0o666 gives the umask's permissions."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    return os.fdopen(fd, "wb")


def _keep_mode_and_owner(tmp: Path, st: os.stat_result) -> None:
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
        try:  # root replacing a user's file must not take it from them
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk (POSIX; Windows has no handle on a folder to sync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_directly(target: _Target, fill: Callable[[BinaryIO], None]) -> None:
    if _same_file(target.existing, sys.stdout):
        sys.stdout.flush()
        with os.fdopen(os.dup(sys.stdout.fileno()), "wb") as fh:
            fill(_Unseekable(fh))
        return
    fifo = stat.S_ISFIFO(target.existing.st_mode)
    flags = os.O_WRONLY | getattr(os, "O_BINARY", 0) | (getattr(os, "O_NONBLOCK", 0) if fifo else 0)
    try:
        fd = os.open(target.path, flags)
    except OSError as e:
        if e.errno == errno.ENXIO:  # O_NONBLOCK on a FIFO without a reader: refuse instead of waiting
            raise UnusableInput(_("cannot write: it is a FIFO (named pipe) nobody is reading"), target.path) from None
        raise
    if fifo:
        os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as fh:
        interrupts.phase("write")
        fill(_Unseekable(fh))
    interrupts.phase("written")


class _Unseekable(io.RawIOBase):
    """A device as a stream: /dev/null says it can seek and then tells 0 wherever it is, which would
    make zipfile write wrong offsets; said unseekable, zipfile writes a stream's layout."""

    def __init__(self, fh):
        super().__init__()
        self._fh = fh

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self._fh.write(data)

    def flush(self) -> None:
        if not self._fh.closed:
            self._fh.flush()


# -- one line for what the OS said -------------------------------------------------------------
def _os_error_in(e: BaseException) -> OSError | None:
    """The OSError behind e: itself, its cause, or what a library wrapped (XlsxWriter's FileCreateError)."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, OSError):
            return e
        wrapped = [a for a in getattr(e, "args", ()) if isinstance(a, OSError)]
        if wrapped:
            return wrapped[0]
        e, seen = e.__cause__ or (None if e.__suppress_context__ else e.__context__), seen + 1
    return None


def _describe(e: OSError, path: Path) -> str:
    folder = _quoted(Path(path).parent)
    known = {
        "ENOSPC": _("cannot write: the disk is full"),
        "EDQUOT": _("cannot write: the disk quota is exceeded"),
        "EFBIG": _("cannot write: the file is too large for this file system"),
        "ENAMETOOLONG": _("cannot write: the file name is too long"),
        "EROFS": _("cannot write: the file system is read-only"),
        "ELOOP": _("cannot write: the symbolic links loop"),
        "ENOTDIR": _("cannot write: a part of the path is not a folder"),
        "EIO": _("cannot write: input/output error (the disk or network share failed)"),
        "EACCES": _("cannot write into the folder {folder} (permission denied, or the file is open in "
                    "another program)").format(folder=folder),
        "EPERM": _("cannot write into the folder {folder} (permission denied)").format(folder=folder),
    }
    known = {getattr(errno, name): text for name, text in known.items() if hasattr(errno, name)}  # Windows lacks some
    return known.get(e.errno) or _("cannot write ({reason})").format(reason=e.strerror or e)


def _quoted(folder: Path) -> str:
    return repr(str(folder))
