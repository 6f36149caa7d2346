"""Checks a manifest (?list) against the archive it describes, with Python's json and zipfile: neither is the code
that wrote them. Usage: manifestcheck.py MANIFEST ZIP ETAG NAME, where ETAG is the archive's ETag header and NAME
the name it is saved as. Prints the entries' names, one a line; exits 1 with what differs."""
import datetime
import json
import struct
import sys
import zipfile

EXTENDED_TIMESTAMP = 0x5455


def fail(what, found, expected):
    print("%s: the manifest has %r, the archive %r" % (what, found, expected), file=sys.stderr)
    sys.exit(1)


def unix_time(extra):
    """The modification time of an extended timestamp extra field (APPNOTE 4.5.3, Info-ZIP's 0x5455), or None."""
    while len(extra) >= 4:
        tag, size = struct.unpack("<HH", extra[:4])
        if tag == EXTENDED_TIMESTAMP and extra[4] & 1:
            return struct.unpack("<i", extra[5:9])[0]
        extra = extra[4 + size:]
    return None


def utc(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))


manifest_path, zip_path, etag, name = sys.argv[1:5]
with open(manifest_path, "rb") as f:
    manifest = json.loads(f.read().decode("utf-8"))
with open(zip_path, "rb") as f:
    data = f.read()
if manifest["length"] != len(data):
    fail("length", manifest["length"], len(data))
if manifest["etag"] != etag:
    fail("etag", manifest["etag"], etag)
if manifest["name"] != name:
    fail("name", manifest["name"], name)
# With no archive comment, the end record is the last 22 bytes, and a ZIP64 end locator the 20 before them.
zip64 = data[-42:-38] == b"PK\x06\x07"
if manifest["zip64"] != zip64:
    fail("zip64", manifest["zip64"], zip64)
with zipfile.ZipFile(zip_path) as archive:
    infos = archive.infolist()
if manifest["entryCount"] != len(infos) or len(manifest["entries"]) != len(infos):
    fail("entries", (manifest["entryCount"], len(manifest["entries"])), len(infos))
out = sys.stdout.buffer
for entry, info in zip(manifest["entries"], infos):
    if entry["name"] != info.filename:
        fail("name", entry["name"], info.filename)
    if entry["size"] != info.file_size:
        fail("size of " + info.filename, entry["size"], info.file_size)
    modified = utc(entry["modified"])
    if int(modified.timestamp()) != unix_time(info.extra):
        fail("extended time of " + info.filename, entry["modified"], unix_time(info.extra))
    dos = datetime.datetime(*info.date_time, tzinfo=datetime.timezone.utc)
    if not datetime.timedelta(0) <= modified - dos < datetime.timedelta(seconds=2):
        fail("DOS time of " + info.filename, entry["modified"], dos.isoformat())
    out.write((info.filename + "\n").encode("utf-8"))
