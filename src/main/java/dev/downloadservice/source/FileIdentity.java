package dev.downloadservice.source;

/** One version of one file: a new size, inode, mtime or ctime is a new identity. */
public record FileIdentity(String location, long size, FileVersion version) {
}
