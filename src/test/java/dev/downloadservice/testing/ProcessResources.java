package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What this process holds: open descriptors, live threads, Netty's direct memory. Tests
 * run the service in-process, so a leak of the service shows here.
 *
 * @param directMemory bytes of direct memory Netty has allocated (its own counter; -1 if it keeps none)
 */
public record ProcessResources(long openFiles, int threads, long directMemory) {

    /**
     * Starts every thread the service's pools will ever have (they start lazily): runs
     * {@code download} on many threads at once, then returns what the process holds.
     */
    public static ProcessResources afterWarmUp(Callable<?> download) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try {
            for (Future<?> done : clients.invokeAll(Collections.nCopies(64, download))) {
                done.get();
            }
        } finally {
            clients.shutdown();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
        return now();
    }

    public static ProcessResources now() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return new ProcessResources(fds.count(), serviceThreads(), PlatformDependent.usedDirectMemory());
        }
    }

    /**
     * Live threads but those of an S3Proxy the test runs in-process: its Jetty pool grows
     * and shrinks with its load on its own, and is not the service's.
     */
    private static int serviceThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> !name.startsWith("S3Proxy-") && !name.startsWith("Scheduler-"))
                .count();
    }

    /**
     * Waits until open files and threads are back to {@code baseline} (or fewer) and
     * direct memory is at most {@code baseline}'s plus {@code directSlack}; fails with
     * what is still held after {@code timeout}.
     */
    public static ProcessResources awaitBackTo(ProcessResources baseline, long directSlack, Duration timeout)
            throws Exception {
        return awaitBackTo(baseline, directSlack, 0, timeout);
    }

    /**
     * The same, with {@code fileSlack} more open descriptors allowed: for a pool of
     * connections that may keep more idle ones than it had at the baseline.
     */
    public static ProcessResources awaitBackTo(ProcessResources baseline, long directSlack, long fileSlack,
                                               Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        ProcessResources now = now();
        while (!now.within(baseline, directSlack, fileSlack) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            now = now();
        }
        assertThat(now.within(baseline, directSlack, fileSlack))
                .as("expected at most %s (direct + %d, files + %d), found %s; threads: %s", baseline, directSlack,
                        fileSlack, now, Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList())
                .isTrue();
        return now;
    }

    private boolean within(ProcessResources baseline, long directSlack, long fileSlack) {
        return openFiles <= baseline.openFiles + fileSlack && threads <= baseline.threads
                && directMemory <= baseline.directMemory + directSlack;
    }
}
