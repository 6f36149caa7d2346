package dev.downloadservice.http;

/**
 * What one download sends.
 *
 * @param name    the folder, and the range if it is one: what the log calls the download
 * @param entries the archive's entries, for the log
 * @param length  bytes of the response body
 * @param body    produces them
 * @param pacing  how fast they may go
 */
record DownloadContent(String name, int entries, long length, ArchiveBody body, Pacing pacing) {
}
