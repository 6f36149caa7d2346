package dev.downloadservice.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * moto's server mode (moto 5, a Python mock of AWS that this machine's Python has:
 * {@code moto_server} on the PATH), a third S3 implementation written apart from S3Proxy.
 * It keeps objects in memory and accepts any signature.
 */
public final class MotoServer implements S3Store {

    /** Werkzeug's line once it listens. */
    private static final Pattern LISTENING = Pattern.compile("Running on http://127\\.0\\.0\\.1:(\\d+)");

    private final StoreProcess process;
    private final S3Client client;

    private MotoServer(StoreProcess process) {
        this.process = process;
        this.client = S3Server.plainClient(process.endpoint());
    }

    static boolean isInstalled() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(folder -> !folder.isEmpty() && Files.isExecutable(Path.of(folder, "moto_server")));
    }

    /** @param storage unused: moto keeps its objects in memory */
    public static MotoServer start(Path storage) throws Exception {
        return new MotoServer(StoreProcess.start("moto_server (moto 5 on the PATH)",
                List.of("moto_server", "-H", "127.0.0.1", "-p", "0"), LISTENING));
    }

    @Override
    public URI endpoint() {
        return process.endpoint();
    }

    @Override
    public S3Client client() {
        return client;
    }

    /** Over HTTP too: moto's objects are in its own process's memory. */
    @Override
    public void putDirectly(String bucket, String key, byte[] content) {
        put(bucket, key, content, false);
    }

    /** None is kept here: {@link #put} sends none. */
    @Override
    public boolean keepsChecksums() {
        return false;
    }

    @Override
    public void close() throws Exception {
        client.close();
        process.close();
    }
}
