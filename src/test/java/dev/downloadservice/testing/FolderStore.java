package dev.downloadservice.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a test puts the files of its folders: in a local directory or in an S3 bucket
 * (S3Proxy on loopback, of either version), the two sources the service reads. The same
 * test then runs against each.
 */
public interface FolderStore extends AutoCloseable {

    enum Kind {
        LOCAL(null),
        S3PROXY_4(S3Store.Implementation.S3PROXY_4::start),
        S3PROXY_2(S3Store.Implementation.S3PROXY_2::start),
        /** A third S3 API, written apart from S3Proxy: for this suite only (ObjectStoreIT needs more of a store). */
        MOTO(MotoServer::start);

        /** Starts the S3 store over a folder; null for a local directory. */
        private final Starter s3;

        Kind(Starter s3) {
            this.s3 = s3;
        }

        interface Starter {
            S3Store start(Path storage) throws Exception;
        }

        /**
         * Whether a folder that holds nothing is listed at all: S3Proxy 2.6.0's filesystem
         * backend keeps a marker "a/" as a directory and leaves it out of a listing of the
         * prefix "a/" itself, so there such a folder is one that is not there.
         */
        public boolean listsEmptyFolders() {
            return this != S3PROXY_2;
        }

        /** Whether this machine has the store: moto is not a Debian package, and only some machines have it. */
        public boolean isInstalled() {
            return this != MOTO || MotoServer.isInstalled();
        }

        public String whatIsMissing() {
            return isInstalled() ? "nothing" : "no moto_server on the PATH (moto 5, from PyPI)";
        }
    }

    /** A store of that kind, keeping its files below {@code temp}. */
    static FolderStore create(Kind kind, Path temp) throws Exception {
        return kind.s3 == null ? new Local(Files.createDirectories(temp.resolve("root"))) : S3.start(kind.s3, temp);
    }

    /** Puts (or replaces) the file {@code name}, which may have '/' in it, into the folder. */
    void put(String folder, String name, byte[] content) throws Exception;

    /** A folder that holds nothing (on S3: a marker object, as a console's "create folder" makes). */
    void putEmptyFolder(String folder) throws Exception;

    /** The service's --path and what goes with it. */
    List<String> args();

    /** Files in a directory; --path is the directory. */
    final class Local implements FolderStore {
        private final Path root;

        Local(Path root) {
            this.root = root;
        }

        @Override
        public void put(String folder, String name, byte[] content) throws Exception {
            Path file = root.resolve(folder).resolve(name);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        }

        @Override
        public void putEmptyFolder(String folder) throws Exception {
            Files.createDirectories(root.resolve(folder));
        }

        @Override
        public List<String> args() {
            return List.of("--path", root.toString());
        }

        @Override
        public void close() {
        }
    }

    /**
     * Objects in the bucket "photos" under the prefix "galleries/"; --path is
     * s3://photos/galleries. The service finds the credentials where the AWS SDK's
     * default chain looks (here: the JVM's system properties).
     */
    final class S3 implements FolderStore {
        static final String BUCKET = "photos";
        static final String PREFIX = "galleries/";

        private final S3Store server;

        private S3(S3Store server) {
            this.server = server;
        }

        static S3 start(Kind.Starter starter, Path temp) throws Exception {
            S3Store server = starter.start(Files.createDirectories(temp.resolve("s3")));
            server.createBucket(BUCKET);
            System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
            return new S3(server);
        }

        @Override
        public void put(String folder, String name, byte[] content) {
            server.put(BUCKET, PREFIX + folder + "/" + name, content, false);
        }

        @Override
        public void putEmptyFolder(String folder) {
            server.put(BUCKET, PREFIX + folder + "/", new byte[0], false);
        }

        @Override
        public List<String> args() {
            return List.of("--path", "s3://" + BUCKET + "/" + PREFIX, "--s3-endpoint", server.endpoint().toString(),
                    "--s3-region", S3Server.REGION);
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }
}
