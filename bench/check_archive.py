"""Checks a downloaded archive against the folder it was made from: the same names in the
same order (sorted by their UTF-8 bytes), the same sizes and CRC-32s, and every entry's
bytes read back and checked against its CRC-32. Exits 1 with what differs. The folder's
side is computed once and kept in a manifest, since a bench checks many downloads of it.

    python3 bench/check_archive.py manifest FOLDER > MANIFEST
    python3 bench/check_archive.py check ARCHIVE MANIFEST
"""
import json
import os
import sys
import zipfile
import zlib


def manifest(folder):
    """[name, size, crc] of each file below folder, hidden ones left out as the service does."""
    entries = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(parent, name)
            crc = 0
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
            entries.append([os.path.relpath(path, folder), os.path.getsize(path), crc])
    entries.sort(key=lambda e: e[0].encode())
    return entries


def check(archive, expected):
    with zipfile.ZipFile(archive) as z:
        found = [[i.filename, i.file_size, i.CRC] for i in z.infolist() if not i.is_dir()]
        if found != expected:
            differing = next((e, f) for e, f in zip(expected + [None] * len(found), found + [None] * len(expected))
                             if e != f)
            return f"{archive}: expected {len(expected)} entries, found {len(found)}; first difference:" \
                   f" expected {differing[0]}, found {differing[1]}"
        bad = z.testzip()  # reads every entry and checks its bytes against its CRC-32
        if bad is not None:
            return f"{archive}: the bytes of {bad} do not match its CRC-32"
    return None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "manifest":
        json.dump(manifest(sys.argv[2]), sys.stdout)
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        with open(sys.argv[3]) as f:
            problem = check(sys.argv[2], json.load(f))
        if problem:
            sys.exit(problem)
    else:
        sys.exit(__doc__)


main()
