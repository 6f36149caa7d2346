package dev.downloadservice.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An S3 API server run as a process of its own, told to listen on port 0 of loopback: the
 * port it got is read from its output, so no other test can take it first. Stopping it
 * sends SIGTERM, then kills it if it lingers.
 */
final class StoreProcess implements AutoCloseable {

    private static final long START_SECONDS = 60; // two cores shared with other builds: usually a few seconds
    private static final int LOG_LINES_KEPT = 40;

    private final Process process;
    private final URI endpoint;

    private StoreProcess(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /**
     * Starts {@code command} and waits until it answers HTTP.
     *
     * @param name      what it is, for errors
     * @param listening matches the output line that says where it listens; group 1 is the port
     */
    static StoreProcess start(String name, List<String> command, Pattern listening) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            URI endpoint = URI.create("http://127.0.0.1:" + awaitPort(name, process, listening));
            awaitAnswer(name, endpoint);
            return new StoreProcess(process, endpoint);
        } catch (Exception | AssertionError e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /**
     * Reads the process's output until it says its port, then goes on reading it in the
     * background (a full pipe would block the store), keeping its last lines for errors.
     */
    private static int awaitPort(String name, Process process, Pattern listening) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Deque<String> lastLines = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader output = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = output.readLine()) != null; ) {
                    synchronized (lastLines) {
                        lastLines.addLast(line);
                        if (lastLines.size() > LOG_LINES_KEPT) {
                            lastLines.removeFirst();
                        }
                    }
                    Matcher found = listening.matcher(line);
                    if (found.find()) {
                        port.complete(Integer.parseInt(found.group(1)));
                    }
                }
            } catch (IOException | UncheckedIOException closed) {
                // The process was stopped, which closes its output.
            }
            port.completeExceptionally(new IllegalStateException(name + " ended its output before it listened"));
        }, "store-process-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return port.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            synchronized (lastLines) {
                throw new AssertionError("expected " + name + " to listen within " + START_SECONDS + " s"
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")")
                        + "; it said: " + List.copyOf(lastLines), e);
            }
        }
    }

    /** Any HTTP answer (an unsigned request is refused) means it serves requests. */
    private static void awaitAnswer(String name, URI endpoint) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("expected " + name + " to answer at " + endpoint + ", found " + notYet);
                }
                Thread.sleep(20);
            }
        }
    }

    URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
