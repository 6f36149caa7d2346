package dev.downloadservice.source;

/**
 * The folders directly under the root, counted by whether a link can name them. Only counts: the start-up log
 * tells an operator that some folders are never served, and never which, since a name is a download's key.
 *
 * @param servable    folders whose names a link can name
 * @param notServable folders whose names no link can name, so never served
 * @param complete    false when the count stopped at its bound: there may be more of both
 */
public record FolderCount(long servable, long notServable, boolean complete) {
}
