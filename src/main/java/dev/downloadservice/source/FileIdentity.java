package dev.downloadservice.source;

import java.nio.file.Path;

/** One version of one file: a new size, time or inode is a new identity. */
public record FileIdentity(Path path, long size, long mtimeMillis, Object fileKey) {
}
