package dev.downloadservice.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * S3Proxy on loopback for the benches (bench/run.sh's S3 mode, bench/s3.sh): loads the
 * folders below a directory into a bucket (key = path below the directory), prints its
 * endpoint, and runs until killed. Objects are kept in memory, or with STORAGE in that
 * directory (S3Proxy's filesystem backend, as a store that reads its disk would).
 *
 * <pre>java -cp ... dev.downloadservice.testing.S3ProxyMain BUCKET DIRECTORY [STORAGE]</pre>
 */
public final class S3ProxyMain {

    private S3ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: S3ProxyMain BUCKET DIRECTORY [STORAGE]");
            System.exit(2);
        }
        String bucket = args[0];
        Path root = Path.of(args[1]);
        S3Server server = S3Server.start(args.length == 3 ? Path.of(args[2]) : null);
        server.createBucket(bucket);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
        for (Path file : files) {
            server.putDirectly(bucket, root.relativize(file).toString(), Files.readAllBytes(file));
        }
        System.out.println("endpoint " + server.endpoint() + " objects " + files.size());
        System.out.flush();
        Thread.currentThread().join();
    }
}
