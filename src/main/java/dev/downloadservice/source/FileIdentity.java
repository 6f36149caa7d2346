package dev.downloadservice.source;

/** One version of one file: a new size, time or inode is a new identity. */
public record FileIdentity(String location, long size, long mtimeMillis, Object fileKey) {
}
