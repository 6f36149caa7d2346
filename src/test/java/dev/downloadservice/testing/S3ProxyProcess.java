package dev.downloadservice.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy 2.6.0 from Maven Central (its jar-with-dependencies, which the build copies to
 * the path in the system property {@code s3proxy.legacy.jar}), run as a process of its
 * own: it has the same packages as the S3Proxy 4 on the test classpath. Its filesystem
 * backend keeps each object as a file below the storage folder. It answers
 * {@code x-amz-checksum-mode} with 501 Not Implemented and keeps no checksums, as
 * S3-compatible stores that predate S3's flexible checksums do.
 *
 * <p>It takes seconds to start: start it once per test class.
 */
public final class S3ProxyProcess implements S3Store {

    /** Jetty's line once it listens: the port it was given, since the endpoint asks for port 0. */
    private static final Pattern LISTENING = Pattern.compile("Started ServerConnector@.*\\{127\\.0\\.0\\.1:(\\d+)}");

    private final StoreProcess process;
    private final Path objects;
    /** The folder to delete when stopped: the one it made itself, or null. */
    private final Path ownStorage;
    private final S3Client client;

    private S3ProxyProcess(StoreProcess process, Path objects, Path ownStorage) {
        this.process = process;
        this.objects = objects;
        this.ownStorage = ownStorage;
        this.client = S3Server.plainClient(process.endpoint());
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
        StoreProcess process = StoreProcess.start("S3Proxy 2.6.0",
                List.of(java, "-jar", jar().toString(), "--properties", properties.toString()), LISTENING);
        return new S3ProxyProcess(process, objects, ownStorage);
    }

    private static Path jar() {
        String jar = System.getProperty("s3proxy.legacy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("expected S3Proxy 2.6.0's jar in the system property s3proxy.legacy.jar"
                    + " (the build copies it to target/s3proxy/: run the tests with Maven), found " + jar);
        }
        return Path.of(jar);
    }

    @Override
    public URI endpoint() {
        return process.endpoint();
    }

    @Override
    public S3Client client() {
        return client;
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
        process.close();
        if (ownStorage != null) {
            try (Stream<Path> files = Files.walk(ownStorage)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
