package dev.downloadservice.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy 2.6.0 from Maven Central (its jar-with-dependencies, which the build copies to
 * the path in the system property {@code s3proxy.legacy.jar}), run as a process of its
 * own: it has the same packages as the S3Proxy 4 on the test classpath. Its filesystem
 * backend keeps each object as a file below the storage folder. It answers
 * {@code x-amz-checksum-mode} with 501 Not Implemented and keeps no checksums, as
 * S3-compatible stores that predate S3's flexible checksums do.
 *
 * <p>It takes a few seconds to start: start it once per test class.
 */
public final class S3ProxyProcess implements S3Store {

    /** Jetty's line once it listens: the port it was given, since the endpoint asks for port 0. */
    private static final Pattern LISTENING = Pattern.compile("Started ServerConnector@.*\\{127\\.0\\.0\\.1:(\\d+)}");
    private static final long START_SECONDS = 60; // two cores shared with other builds: usually 3 s
    private static final int LOG_LINES_KEPT = 40;

    private final Process process;
    private final URI endpoint;
    private final Path objects;
    /** The folder to delete when stopped: the one it made itself, or null. */
    private final Path ownStorage;
    private final S3Client client;

    private S3ProxyProcess(Process process, URI endpoint, Path objects, Path ownStorage) {
        this.process = process;
        this.endpoint = endpoint;
        this.objects = objects;
        this.ownStorage = ownStorage;
        this.client = S3Server.plainClient(endpoint);
    }

    /** @param storage where the objects are kept; null for a temporary folder, deleted when it stops */
    public static S3ProxyProcess start(Path storage) throws Exception {
        Path ownStorage = storage == null ? Files.createTempDirectory("s3proxy-2-") : null;
        Path folder = storage == null ? ownStorage : Files.createDirectories(storage);
        Path objects = Files.createDirectories(folder.resolve("objects"));
        Path properties = Files.writeString(folder.resolve("s3proxy.properties"), String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:0",
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + S3Server.ACCESS_KEY,
                "s3proxy.credential=" + S3Server.SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + objects,
                "jclouds.identity=" + S3Server.ACCESS_KEY,
                "jclouds.credential=" + S3Server.SECRET_KEY, ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-jar", jar().toString(), "--properties", properties.toString())
                .redirectErrorStream(true).start();
        try {
            int port = awaitPort(process);
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            awaitAnswer(endpoint);
            return new S3ProxyProcess(process, endpoint, objects, ownStorage);
        } catch (Exception | AssertionError e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static Path jar() {
        String jar = System.getProperty("s3proxy.legacy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("expected S3Proxy 2.6.0's jar in the system property s3proxy.legacy.jar"
                    + " (the build copies it to target/s3proxy/: run the tests with Maven), found " + jar);
        }
        return Path.of(jar);
    }

    /**
     * Reads the process's output until it says its port, then goes on reading it in the
     * background (a full pipe would block the store), keeping its last lines for errors.
     */
    private static int awaitPort(Process process) throws Exception {
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
                    Matcher listening = LISTENING.matcher(line);
                    if (listening.find()) {
                        port.complete(Integer.parseInt(listening.group(1)));
                    }
                }
            } catch (IOException | UncheckedIOException closed) {
                // The process was stopped, which closes its output.
            }
            port.completeExceptionally(new IllegalStateException("S3Proxy 2.6.0 ended its output before it listened"));
        }, "s3proxy-2-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return port.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            synchronized (lastLines) {
                throw new AssertionError("expected S3Proxy 2.6.0 to listen within " + START_SECONDS + " s"
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")")
                        + "; it said: " + List.copyOf(lastLines), e);
            }
        }
    }

    /** Any HTTP answer (an unsigned request is a 403) means it serves requests. */
    private static void awaitAnswer(URI endpoint) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("expected S3Proxy 2.6.0 to answer at " + endpoint + ", found " + notYet);
                }
                Thread.sleep(20);
            }
        }
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    @Override
    public void put(String bucket, String key, byte[] content, boolean storedCrc32) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    /**
     * A file below the bucket's folder, as the filesystem backend (jclouds) keeps an object:
     * its MD5, which is its ETag, in the extended attribute jclouds names "user.content-md5".
     */
    @Override
    public void putDirectly(String bucket, String key, byte[] content) throws Exception {
        Path file = objects.resolve(bucket).resolve(key);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.getFileAttributeView(file, UserDefinedFileAttributeView.class)
                .write("user.content-md5", ByteBuffer.wrap(MessageDigest.getInstance("MD5").digest(content)));
    }

    @Override
    public boolean keepsChecksums() {
        return false;
    }

    @Override
    public void close() throws Exception {
        client.close();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        if (ownStorage != null) {
            try (Stream<Path> files = Files.walk(ownStorage)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
