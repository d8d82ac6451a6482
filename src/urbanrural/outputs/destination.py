"""Where a command writes: check the destination before any computation, build the output in a
staging area, then put it in place in one step.

Rules for an output folder (:class:`OutputFolder`)
--------------------------------------------------
* A folder that does not exist yet, or an empty one, is written.
* A folder holding a previous urbanrural output is replaced as a whole. It is recognised by the
  marker file ``.urbanrural-output`` (JSON: the command, the urbanrural version and the list of
  files written), and only when it holds nothing the marker does not list: a file a user put
  in there makes it "anything else" below.
* Anything else is refused (:class:`DestinationError`, exit 2 in the CLI) unless ``force``; and
  then only the files this run writes are replaced, one by one, and every other file is left
  exactly as it was.
* A path that is a file, ``/``, the home folder, the current folder or a folder that contains
  either of them is refused, even with ``force``.

Crash safety
------------
Everything is written into a staging folder beside the destination
(``.urbanrural-staging-<name>-<pid>-<random>``); the destination is touched only once that is
complete, and SIGINT/SIGTERM are held back while it is. A folder of a previous output is swapped
with the staging folder by ``renameat2(RENAME_EXCHANGE)`` where the kernel and file system offer
it, so the destination path names one complete output at every instant. Otherwise two renames:
destination → ``.urbanrural-backup-<name>`` beside it, staging → destination, then the backup is
removed. A kill between those two renames leaves the previous complete output under the backup
name; the next run writing to the same destination renames it back before anything else (by
hand: ``mv .urbanrural-backup-<name> <name>``). A kill after the second rename leaves a stale
backup beside a complete new output, which the next run removes. Staging folders of a killed
run are removed by the next run to the same destination once that process has ended.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

__all__ = ["MARKER", "DestinationError", "OutputFile", "OutputFolder", "discard_active",
           "read_marker"]

MARKER = ".urbanrural-output"
_STAGING = ".urbanrural-staging-"
_BACKUP = ".urbanrural-backup-"
_MARKER_FORMAT = "urbanrural-output"

# staging folders and files of this process not yet committed or removed: what a Ctrl-C caught
# in the CLI's main() removes, and nothing else
_ACTIVE: set[Path] = set()


class DestinationError(Exception):
    """An output location that is refused, with the reason in Chinese and English."""

    def __init__(self, path: str | Path, zh: str, en: str):
        self.path = Path(path)
        super().__init__(f"不能写入 {path}：{zh}\ncannot write to {path}: {en}")


def discard_active() -> None:
    """Remove every staging folder or file of this process that was not committed.

    Called when the run is interrupted (Ctrl-C): the destination itself is never touched.
    """
    for p in sorted(_ACTIVE, key=lambda q: len(q.parts), reverse=True):
        _remove(p)
    _ACTIVE.clear()


def read_marker(folder: str | Path) -> dict | None:
    """The marker of a previous urbanrural output in ``folder``, or ``None`` if there is none
    (or it is not one urbanrural wrote: unreadable, wrong format, paths leaving the folder)."""
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("format") != _MARKER_FORMAT:
        return None
    files = info.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) and _is_inside(f) for f in files):
        return None
    return info


# --------------------------------------------------------------------------- helpers

def _is_inside(rel: str) -> bool:
    p = PurePosixPath(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts and "\\" not in rel


def _resolve(path: str | Path) -> Path:
    # realpath semantics: symlinks and '..' resolved even where the path does not exist yet,
    # so 'reports/..' is the current folder and a link to a folder is that folder
    return Path(os.path.expanduser(os.fspath(path))).resolve()


def _key(name: str) -> str:
    """A short, file-name-safe tag of the destination's name for the staging and backup names."""
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{name[:40]}-{digest}"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end pid
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _remove_stale_staging(where: Path, key: str) -> None:
    """Staging folders/files of killed runs for this destination (their process has ended)."""
    prefix = f"{_STAGING}{key}-"
    try:
        entries = [e for e in os.listdir(where) if e.startswith(prefix)]
    except OSError:
        return
    for name in entries:
        pid = name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            _remove(where / name)


def _make_parents(path: Path) -> list[Path]:
    """Make the folders above ``path``; returns those that were missing, deepest first, so a
    run that fails can remove them again."""
    missing = []
    p = path.parent
    while not p.exists():
        missing.append(p)
        p = p.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_made_parents(made: list[Path]) -> None:
    """Remove the parent folders this run created, innermost first, while they are empty."""
    for d in made:
        try:
            d.rmdir()
        except OSError:
            break


def _first_existing(path: Path) -> Path:
    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def _refuse_protected(path: Path, requested: str | Path) -> None:
    """``/``, the home folder, the current folder and every folder that contains one of them."""
    if path == Path(path.anchor):
        raise DestinationError(requested, "这是文件系统的根目录，请指定一个专用的输出文件夹",
                               "that is the root of the file system; name a folder of its own "
                               "for the output")
    cwd = Path.cwd().resolve()
    if path == cwd or path in cwd.parents:
        raise DestinationError(requested, f"这是当前文件夹{'' if path == cwd else '的上级文件夹'}"
                               f"（{cwd}），整体替换会删除其中的文件；请指定一个新的子文件夹",
                               f"that is the current folder{'' if path == cwd else ' or contains it'}"
                               f" ({cwd}); replacing it would delete what is in it. Name a new "
                               "sub-folder, e.g. --out urbanrural-output")
    home = Path(os.path.expanduser("~")).resolve()
    if path == home or path in home.parents:
        raise DestinationError(requested, "这是用户主目录（或其上级文件夹），请指定一个新的子文件夹",
                               "that is your home folder (or contains it); name a new sub-folder")


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the destination changes, so an interruption lands
    before (nothing changed) or after (output complete), never in between."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``. False when the
    platform, C library or file system does not offer it (the caller then uses two renames)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _files_under(folder: Path) -> list[str]:
    """Every file (and symlink) under ``folder``, as sorted POSIX paths relative to it."""
    out = []
    for root, dirs, names in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        out += [(rel_root / d).as_posix() for d in dirs if (Path(root) / d).is_symlink()]
        out += [(rel_root / n).as_posix() for n in names]
    return sorted(p for p in out if p != MARKER)


def _foreign_entries(folder: Path, listed: Sequence[str]) -> list[str]:
    """What ``folder`` holds that the marker does not list (the files of someone else)."""
    files = set(listed) | {MARKER}
    dirs = {p.as_posix() for f in files for p in PurePosixPath(f).parents if p.as_posix() != "."}
    foreign = []
    for root, subdirs, names in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        keep = []
        for d in subdirs:
            rel = (rel_root / d).as_posix()
            if rel in dirs and not (Path(root) / d).is_symlink():
                keep.append(d)
            else:
                foreign.append(rel + "/")
        subdirs[:] = keep
        foreign += [(rel_root / n).as_posix() for n in names if (rel_root / n).as_posix()
                    not in files]
    return sorted(foreign)


def _marker_text(command: str, files: Sequence[str]) -> str:
    from .._version import __version__

    return json.dumps({
        "format": _MARKER_FORMAT,
        "note": "written by urbanrural; the next run with the same --out replaces this folder "
                "only while it holds nothing but the files listed here",
        "command": command, "urbanrural_version": __version__,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": list(files)}, ensure_ascii=False, indent=1) + "\n"


def _show(entries: Sequence[str], limit: int = 5) -> str:
    more = len(entries) - limit
    return ", ".join(entries[:limit]) + (f" … (+{more})" if more > 0 else "")


# --------------------------------------------------------------------------- folders

class OutputFolder:
    """An output folder, checked when created (before any computation) and written through
    :meth:`writing`.

    Parameters
    ----------
    path : the folder asked for (``--out``); ``~``, symlinks and ``..`` are resolved.
    command : the command writing it, recorded in the marker.
    force : write into a folder that is not a previous urbanrural output, replacing only the
        files this run writes.

    Raises
    ------
    DestinationError
        The folder is refused (see the module docstring for the rules).

    Examples
    --------
    >>> dest = OutputFolder("out/gaps", command="gaps")      # doctest: +SKIP
    >>> # ... compute ...
    >>> with dest.writing() as folder:                        # doctest: +SKIP
    ...     write_tables(tables, folder)
    """

    def __init__(self, path: str | Path, *, command: str, force: bool = False):
        self.requested = path
        self.path = _resolve(path)
        self.command = command
        self.force = force
        self.notes: list[str] = []
        self.files: list[Path] = []
        self._used = False
        _refuse_protected(self.path, path)
        self._recover()
        self.mode = self._check()

    # the three ways of committing: "new" (rename into place), "replace" (swap with a previous
    # output), "merge" (--force into someone else's folder: one file at a time)
    def _check(self) -> str:
        p, req = self.path, self.requested
        if os.path.lexists(p) and not p.is_dir():
            raise DestinationError(req, "这是一个文件，不是文件夹", "that is a file, not a folder")
        anc = _first_existing(p)
        if anc != p and not anc.is_dir():
            raise DestinationError(req, f"{anc} 是文件，不能在其下建文件夹",
                                   f"{anc} is a file, so no folder can be made inside it")
        if not p.exists():
            return "new"
        try:
            entries = sorted(os.listdir(p))
        except OSError as exc:
            raise DestinationError(req, f"无法读取该文件夹（{exc.strerror}）",
                                   f"the folder cannot be read ({exc.strerror})") from exc
        # a mount point cannot be renamed: write into it file by file
        whole = not os.path.ismount(p)
        if not entries:
            return "new" if whole else "merge"
        marker = read_marker(p)
        foreign = _foreign_entries(p, marker["files"]) if marker else entries
        if marker and not foreign:
            return "replace" if whole else "merge"
        if self.force:
            return "merge"
        if marker:
            raise DestinationError(
                req, f"这里有一份 urbanrural 旧结果，但也有它没有写过的文件（{_show(foreign)}）；"
                     "请移走这些文件，或加 --force（只替换本次写出的文件，其他文件保留）",
                f"it holds an earlier urbanrural output but also files urbanrural did not write "
                f"({_show(foreign)}); move them away, or add --force (only the files this run "
                "writes are replaced, everything else is kept)")
        raise DestinationError(
            req, f"文件夹不为空，且不是 urbanrural 的输出（{_show(foreign)}）；请换一个新文件夹，"
                 "或加 --force（只替换本次写出的文件，其他文件保留）",
            f"the folder is not empty and is not an urbanrural output ({_show(foreign)}); "
            "choose a new folder, or add --force (only the files this run writes are replaced, "
            "everything else is kept)")

    def _backup(self) -> Path:
        return self.path.parent / f"{_BACKUP}{_key(self.path.name)}"

    def _recover(self) -> None:
        """Finish what a killed run left: restore or drop its backup, remove its staging."""
        key = _key(self.path.name)
        _remove_stale_staging(self.path.parent, key)
        if self.path.is_dir() and not self.path.is_symlink():
            _remove_stale_staging(self.path, key)
        backup = self._backup()
        if not os.path.lexists(backup):
            return
        if not os.path.lexists(self.path):
            os.rename(backup, self.path)
            self.notes.append(f"restored the previous output from an interrupted run "
                              f"({backup.name} → {self.path.name})")
        elif read_marker(self.path) is not None:
            _remove(backup)
        else:
            raise DestinationError(
                self.requested, f"上次中断的运行把旧结果留在 {backup}；请先移走或删除它",
                f"an interrupted earlier run left the previous output in {backup}; move it "
                "away or delete it first")

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """A staging folder to write everything into; put in place when the block ends without
        an error, removed (and the destination left untouched) when it raises. Once per
        :class:`OutputFolder`: the checks made when it was created hold for one commit."""
        if self._used:
            raise RuntimeError("an OutputFolder is written once; make a new one for another run")
        self._used = True
        made = _make_parents(self.path)
        parent = self.path if self.mode == "merge" else self.path.parent
        stage = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{_key(self.path.name)}-{os.getpid()}-",
                                      dir=parent))
        _ACTIVE.add(stage)
        try:
            yield stage
            self._commit(stage)
        except BaseException:
            _remove(stage)
            _remove_made_parents(made)
            raise
        finally:
            _ACTIVE.discard(stage)

    def _commit(self, stage: Path) -> None:
        files = _files_under(stage)
        if self.mode == "merge":
            old = read_marker(self.path)
            kept = [f for f in (old or {}).get("files", []) if os.path.lexists(self.path / f)]
            (stage / MARKER).write_text(_marker_text(self.command, sorted(set(files) | set(kept))),
                                        encoding="utf-8")
            self._merge(stage, files)
        else:
            (stage / MARKER).write_text(_marker_text(self.command, files), encoding="utf-8")
            mode = stat.S_IMODE(os.stat(self.path).st_mode) if self.path.is_dir() else \
                0o777 & ~_umask()
            os.chmod(stage, mode)
            with _signals_held():
                if self.mode == "new":
                    self._rename_new(stage)
                else:
                    self._swap(stage)
        self.files = [self.path / f for f in files]

    def _rename_new(self, stage: Path) -> None:
        try:
            if os.name == "nt" and self.path.is_dir():  # Windows renames onto nothing only
                self.path.rmdir()  # still empty, or this raises and nothing is lost
            os.rename(stage, self.path)  # onto nothing, or onto an empty folder (POSIX)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise DestinationError(self.requested, "计算期间该位置出现了其他文件，未写入",
                                       "something else appeared there while computing; "
                                       "nothing was written") from exc
            raise

    def _swap(self, stage: Path) -> None:
        marker = read_marker(self.path)
        if marker is None or _foreign_entries(self.path, marker["files"]):
            raise DestinationError(self.requested, "计算期间该文件夹被改动，未写入",
                                   "the folder changed while computing; nothing was written")
        if _exchange(stage, self.path):
            _remove(stage)  # now holds the previous output
            return
        backup = self._backup()
        os.rename(self.path, backup)
        try:
            os.rename(stage, self.path)
        except BaseException:
            os.rename(backup, self.path)
            raise
        _remove(backup)

    def _merge(self, stage: Path, files: Sequence[str]) -> None:
        todo = [*files, MARKER]
        conflicts = []
        for rel in todo:
            parts = PurePosixPath(rel).parts
            for i in range(1, len(parts)):
                d = self.path.joinpath(*parts[:i])
                if os.path.lexists(d) and (d.is_symlink() or not d.is_dir()):
                    conflicts.append(f"{PurePosixPath(*parts[:i])} (not a folder)")
            dest = self.path / rel
            if dest.is_dir() and not dest.is_symlink():
                conflicts.append(f"{rel} (a folder)")
        if conflicts:
            raise DestinationError(self.requested, f"与已有内容冲突：{_show(sorted(set(conflicts)))}",
                                   f"conflicts with what is there: {_show(sorted(set(conflicts)))}")
        with _signals_held():
            for rel in todo:  # the marker last: it lists only what is in place
                (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / rel, self.path / rel)
        _remove(stage)


# --------------------------------------------------------------------------- single files

class OutputFile:
    """One output file (``data convert``), checked when created and written through
    :meth:`writing`: to a temporary file beside it, then ``os.replace``.

    Parameters
    ----------
    path : the file asked for; ``~``, symlinks and ``..`` are resolved.
    force : replace an existing file.
    inputs : files read by this run; writing onto one of them (the same file through a
        symlink or hard link included) is refused even with ``force``.
    suffixes : the file types that can be written.

    Raises
    ------
    DestinationError
        Unknown file type, a folder, an input file, or an existing file without ``force``.
    """

    def __init__(self, path: str | Path, *, force: bool = False,
                 inputs: Sequence[str | Path] = (),
                 suffixes: Sequence[str] = (".csv", ".xlsx", ".parquet")):
        self.requested = path
        self.path = _resolve(path)
        self.force = force
        self.suffix = self.path.suffix.lower()
        self.notes: list[str] = []
        req = path
        if self.suffix not in suffixes:
            raise DestinationError(
                req, f"不支持的输出格式 {self.suffix or '（无扩展名）'}，请用 {' / '.join(suffixes)}",
                f"unknown output type {self.suffix or '(no extension)'!r}; use "
                f"{', '.join(suffixes)}")
        if self.path.is_dir():
            raise DestinationError(req, "这是一个文件夹，请给出文件名", "that is a folder; give a file name")
        anc = _first_existing(self.path)
        if anc != self.path and not anc.is_dir():
            raise DestinationError(req, f"{anc} 是文件，不能在其下写文件",
                                   f"{anc} is a file, so nothing can be written inside it")
        self.inputs = list(inputs)
        _remove_stale_staging(self.path.parent, _key(self.path.name))
        self._check_existing()

    def _check_existing(self) -> None:
        if not os.path.exists(self.path):
            return
        req = self.requested
        for inp in self.inputs:
            # same device and inode: the same file also through a symlink or a hard link
            if os.path.exists(inp) and os.path.samefile(inp, self.path):
                raise DestinationError(req, f"这就是输入文件 {inp}，不能覆盖输入",
                                       f"that is the input file {inp}; the input is never "
                                       "overwritten")
        if not self.path.is_file():
            raise DestinationError(req, "这不是普通文件", "that is not a regular file")
        if not self.force:
            raise DestinationError(req, "文件已存在；加 --force 以替换",
                                   "the file exists; add --force to replace it")

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """A temporary path (same folder, same suffix) to write to; moved onto the destination
        when the block ends without an error, removed when it raises."""
        made = _make_parents(self.path)
        fd, name = tempfile.mkstemp(prefix=f"{_STAGING}{_key(self.path.name)}-{os.getpid()}-",
                                    suffix=self.suffix, dir=self.path.parent)
        os.close(fd)
        tmp = Path(name)
        _ACTIVE.add(tmp)
        try:
            yield tmp
            self._check_existing()  # again: something may have appeared while writing
            mode = stat.S_IMODE(os.stat(self.path).st_mode) if self.path.exists() else \
                0o666 & ~_umask()
            os.chmod(tmp, mode)
            with _signals_held():
                os.replace(tmp, self.path)
        except BaseException:
            _remove(tmp)
            _remove_made_parents(made)
            raise
        finally:
            _ACTIVE.discard(tmp)
