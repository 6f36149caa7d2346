"""Reads a ZIP archive with Python's zipfile and prints one line per entry:
name, size, the CRC-32 recorded in the archive, and the CRC-32 of the bytes read.
Exits 1 if zipfile's own test (testzip) finds a bad entry."""
import sys
import zipfile
import zlib

with zipfile.ZipFile(sys.argv[1]) as archive:
    bad = archive.testzip()
    if bad is not None:
        print("bad entry: " + bad, file=sys.stderr)
        sys.exit(1)
    out = sys.stdout.buffer
    for info in archive.infolist():
        crc = 0
        with archive.open(info) as data:
            while True:
                chunk = data.read(1 << 20)
                if not chunk:
                    break
                crc = zlib.crc32(chunk, crc)
        out.write(("%s\t%d\t%08x\t%08x\n" % (info.filename, info.file_size, info.CRC, crc)).encode("utf-8"))
